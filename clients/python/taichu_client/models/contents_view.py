from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.kind_count_view import KindCountView
    from ..models.object_ref_view import ObjectRefView


T = TypeVar("T", bound="ContentsView")


@_attrs_define
class ContentsView:
    """
    Attributes:
        total_objects (int):
        kinds (list[KindCountView]): Every kind with its count, in restore order.
        objects (list[ObjectRefView]): With `kind` or `namespace`: the matching objects' names, archive order.
        truncated (bool): More objects matched than `limit`.
    """

    total_objects: int
    kinds: list[KindCountView]
    objects: list[ObjectRefView]
    truncated: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        total_objects = self.total_objects

        kinds = []
        for kinds_item_data in self.kinds:
            kinds_item = kinds_item_data.to_dict()
            kinds.append(kinds_item)

        objects = []
        for objects_item_data in self.objects:
            objects_item = objects_item_data.to_dict()
            objects.append(objects_item)

        truncated = self.truncated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "total_objects": total_objects,
                "kinds": kinds,
                "objects": objects,
                "truncated": truncated,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kind_count_view import KindCountView  # noqa: PLC0415
        from ..models.object_ref_view import ObjectRefView  # noqa: PLC0415

        d = dict(src_dict)
        total_objects = d.pop("total_objects")

        kinds = []
        _kinds = d.pop("kinds")
        for kinds_item_data in _kinds:
            kinds_item = KindCountView.from_dict(kinds_item_data)

            kinds.append(kinds_item)

        objects = []
        _objects = d.pop("objects")
        for objects_item_data in _objects:
            objects_item = ObjectRefView.from_dict(objects_item_data)

            objects.append(objects_item)

        truncated = d.pop("truncated")

        contents_view = cls(
            total_objects=total_objects,
            kinds=kinds,
            objects=objects,
            truncated=truncated,
        )

        contents_view.additional_properties = d
        return contents_view

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

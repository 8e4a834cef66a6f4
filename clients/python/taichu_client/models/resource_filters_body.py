from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ResourceFiltersBody")


@_attrs_define
class ResourceFiltersBody:
    """Which objects a resources (or full) backup takes.

    Attributes:
        include_namespaces (list[str] | Unset): Only these namespaces (cluster-scoped kinds then only when named in
            `include_kinds`).
        exclude_namespaces (list[str] | Unset):
        include_kinds (list[str] | Unset): Only these kinds.
        exclude_kinds (list[str] | Unset):
        label_selector (str | Unset): A Kubernetes label selector, e.g. `app=web,tier!=db`.
    """

    include_namespaces: list[str] | Unset = UNSET
    exclude_namespaces: list[str] | Unset = UNSET
    include_kinds: list[str] | Unset = UNSET
    exclude_kinds: list[str] | Unset = UNSET
    label_selector: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        include_namespaces: list[str] | Unset = UNSET
        if not isinstance(self.include_namespaces, Unset):
            include_namespaces = self.include_namespaces

        exclude_namespaces: list[str] | Unset = UNSET
        if not isinstance(self.exclude_namespaces, Unset):
            exclude_namespaces = self.exclude_namespaces

        include_kinds: list[str] | Unset = UNSET
        if not isinstance(self.include_kinds, Unset):
            include_kinds = self.include_kinds

        exclude_kinds: list[str] | Unset = UNSET
        if not isinstance(self.exclude_kinds, Unset):
            exclude_kinds = self.exclude_kinds

        label_selector = self.label_selector

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if include_namespaces is not UNSET:
            field_dict["include_namespaces"] = include_namespaces
        if exclude_namespaces is not UNSET:
            field_dict["exclude_namespaces"] = exclude_namespaces
        if include_kinds is not UNSET:
            field_dict["include_kinds"] = include_kinds
        if exclude_kinds is not UNSET:
            field_dict["exclude_kinds"] = exclude_kinds
        if label_selector is not UNSET:
            field_dict["label_selector"] = label_selector

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        include_namespaces = cast(list[str], d.pop("include_namespaces", UNSET))

        exclude_namespaces = cast(list[str], d.pop("exclude_namespaces", UNSET))

        include_kinds = cast(list[str], d.pop("include_kinds", UNSET))

        exclude_kinds = cast(list[str], d.pop("exclude_kinds", UNSET))

        label_selector = d.pop("label_selector", UNSET)

        resource_filters_body = cls(
            include_namespaces=include_namespaces,
            exclude_namespaces=exclude_namespaces,
            include_kinds=include_kinds,
            exclude_kinds=exclude_kinds,
            label_selector=label_selector,
        )

        resource_filters_body.additional_properties = d
        return resource_filters_body

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

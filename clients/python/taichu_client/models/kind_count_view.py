from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="KindCountView")


@_attrs_define
class KindCountView:
    """One kind in a resources archive.

    Attributes:
        kind (str): `ConfigMap`, `Deployment.apps`.
        api_version (str):
        namespaced (bool):
        count (int):
    """

    kind: str
    api_version: str
    namespaced: bool
    count: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        api_version = self.api_version

        namespaced = self.namespaced

        count = self.count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "api_version": api_version,
                "namespaced": namespaced,
                "count": count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = d.pop("kind")

        api_version = d.pop("api_version")

        namespaced = d.pop("namespaced")

        count = d.pop("count")

        kind_count_view = cls(
            kind=kind,
            api_version=api_version,
            namespaced=namespaced,
            count=count,
        )

        kind_count_view.additional_properties = d
        return kind_count_view

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

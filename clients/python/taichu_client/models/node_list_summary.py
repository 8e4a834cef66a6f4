from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NodeListSummary")


@_attrs_define
class NodeListSummary:
    """Counts over all nodes, before filters.

    Attributes:
        control_plane_count (int):
        worker_count (int):
        ready_count (int):
    """

    control_plane_count: int
    worker_count: int
    ready_count: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        control_plane_count = self.control_plane_count

        worker_count = self.worker_count

        ready_count = self.ready_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "control_plane_count": control_plane_count,
                "worker_count": worker_count,
                "ready_count": ready_count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        control_plane_count = d.pop("control_plane_count")

        worker_count = d.pop("worker_count")

        ready_count = d.pop("ready_count")

        node_list_summary = cls(
            control_plane_count=control_plane_count,
            worker_count=worker_count,
            ready_count=ready_count,
        )

        node_list_summary.additional_properties = d
        return node_list_summary

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateTaskSummary")


@_attrs_define
class CreateTaskSummary:
    """
    Attributes:
        id (str):
        status (str):
        progress (int):
        created_at (datetime.datetime):
        cluster_name (str | Unset):
    """

    id: str
    status: str
    progress: int
    created_at: datetime.datetime
    cluster_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        progress = self.progress

        created_at = self.created_at.isoformat()

        cluster_name = self.cluster_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "progress": progress,
                "created_at": created_at,
            }
        )
        if cluster_name is not UNSET:
            field_dict["cluster_name"] = cluster_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        progress = d.pop("progress")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        cluster_name = d.pop("cluster_name", UNSET)

        create_task_summary = cls(
            id=id,
            status=status,
            progress=progress,
            created_at=created_at,
            cluster_name=cluster_name,
        )

        create_task_summary.additional_properties = d
        return create_task_summary

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ImportStatus")


@_attrs_define
class ImportStatus:
    """An import's status with its log.

    Attributes:
        id (str): The import's id (its workflow run).
        status (str): `pending`, `running`, `completed`, `failed` or `cancelled`.
        progress (int):
        created_at (datetime.datetime):
        logs (str): The run's log, one line per entry (admins and whoever started it).
        cluster_id (str | Unset):
        cluster_name (str | Unset):
        error (str | Unset): Why it failed (admins and whoever started it).
        completed_at (datetime.datetime | Unset):
    """

    id: str
    status: str
    progress: int
    created_at: datetime.datetime
    logs: str
    cluster_id: str | Unset = UNSET
    cluster_name: str | Unset = UNSET
    error: str | Unset = UNSET
    completed_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        progress = self.progress

        created_at = self.created_at.isoformat()

        logs = self.logs

        cluster_id = self.cluster_id

        cluster_name = self.cluster_name

        error = self.error

        completed_at: str | Unset = UNSET
        if not isinstance(self.completed_at, Unset):
            completed_at = self.completed_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "progress": progress,
                "created_at": created_at,
                "logs": logs,
            }
        )
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if cluster_name is not UNSET:
            field_dict["cluster_name"] = cluster_name
        if error is not UNSET:
            field_dict["error"] = error
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        progress = d.pop("progress")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        logs = d.pop("logs")

        cluster_id = d.pop("cluster_id", UNSET)

        cluster_name = d.pop("cluster_name", UNSET)

        error = d.pop("error", UNSET)

        _completed_at = d.pop("completed_at", UNSET)
        completed_at: datetime.datetime | Unset
        if isinstance(_completed_at, Unset):
            completed_at = UNSET
        else:
            completed_at = datetime.datetime.fromisoformat(_completed_at)

        import_status = cls(
            id=id,
            status=status,
            progress=progress,
            created_at=created_at,
            logs=logs,
            cluster_id=cluster_id,
            cluster_name=cluster_name,
            error=error,
            completed_at=completed_at,
        )

        import_status.additional_properties = d
        return import_status

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

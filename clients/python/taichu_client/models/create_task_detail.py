from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_host import RunHost


T = TypeVar("T", bound="CreateTaskDetail")


@_attrs_define
class CreateTaskDetail:
    """
    Attributes:
        id (str):
        status (str):
        progress (int):
        logs (str): The run's log, one line per entry (admins and whoever started it).
        hosts (list[RunHost]): Each machine and the steps it has been through.
        created_at (datetime.datetime):
        cluster_name (str | Unset):
        cluster_id (str | Unset): The cluster being created.
        current_step (str | Unset): The step running now, or where it stopped (`preflight`, `init`, `join-workers`, …).
        error (str | Unset): Why it failed (admins and whoever started it).
        completed_at (datetime.datetime | Unset):
    """

    id: str
    status: str
    progress: int
    logs: str
    hosts: list[RunHost]
    created_at: datetime.datetime
    cluster_name: str | Unset = UNSET
    cluster_id: str | Unset = UNSET
    current_step: str | Unset = UNSET
    error: str | Unset = UNSET
    completed_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        progress = self.progress

        logs = self.logs

        hosts = []
        for hosts_item_data in self.hosts:
            hosts_item = hosts_item_data.to_dict()
            hosts.append(hosts_item)

        created_at = self.created_at.isoformat()

        cluster_name = self.cluster_name

        cluster_id = self.cluster_id

        current_step = self.current_step

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
                "logs": logs,
                "hosts": hosts,
                "created_at": created_at,
            }
        )
        if cluster_name is not UNSET:
            field_dict["cluster_name"] = cluster_name
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if current_step is not UNSET:
            field_dict["current_step"] = current_step
        if error is not UNSET:
            field_dict["error"] = error
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_host import RunHost  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        progress = d.pop("progress")

        logs = d.pop("logs")

        hosts = []
        _hosts = d.pop("hosts")
        for hosts_item_data in _hosts:
            hosts_item = RunHost.from_dict(hosts_item_data)

            hosts.append(hosts_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        cluster_name = d.pop("cluster_name", UNSET)

        cluster_id = d.pop("cluster_id", UNSET)

        current_step = d.pop("current_step", UNSET)

        error = d.pop("error", UNSET)

        _completed_at = d.pop("completed_at", UNSET)
        completed_at: datetime.datetime | Unset
        if isinstance(_completed_at, Unset):
            completed_at = UNSET
        else:
            completed_at = datetime.datetime.fromisoformat(_completed_at)

        create_task_detail = cls(
            id=id,
            status=status,
            progress=progress,
            logs=logs,
            hosts=hosts,
            created_at=created_at,
            cluster_name=cluster_name,
            cluster_id=cluster_id,
            current_step=current_step,
            error=error,
            completed_at=completed_at,
        )

        create_task_detail.additional_properties = d
        return create_task_detail

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

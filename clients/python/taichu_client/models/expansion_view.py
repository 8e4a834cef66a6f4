from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExpansionView")


@_attrs_define
class ExpansionView:
    """One expansion.

    Attributes:
        id (str): The `expand_cluster` run.
        status (str):
        progress (int):
        machine_ids (list[str]):
        created_at (datetime.datetime):
        from_nodes (int | Unset): Nodes counted in the cluster before and after (null until known).
        to_nodes (int | Unset):
        completed_at (datetime.datetime | Unset):
        error (str | Unset): Why it failed (admins and whoever started it).
    """

    id: str
    status: str
    progress: int
    machine_ids: list[str]
    created_at: datetime.datetime
    from_nodes: int | Unset = UNSET
    to_nodes: int | Unset = UNSET
    completed_at: datetime.datetime | Unset = UNSET
    error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        progress = self.progress

        machine_ids = self.machine_ids

        created_at = self.created_at.isoformat()

        from_nodes = self.from_nodes

        to_nodes = self.to_nodes

        completed_at: str | Unset = UNSET
        if not isinstance(self.completed_at, Unset):
            completed_at = self.completed_at.isoformat()

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "progress": progress,
                "machine_ids": machine_ids,
                "created_at": created_at,
            }
        )
        if from_nodes is not UNSET:
            field_dict["from_nodes"] = from_nodes
        if to_nodes is not UNSET:
            field_dict["to_nodes"] = to_nodes
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        progress = d.pop("progress")

        machine_ids = cast(list[str], d.pop("machine_ids"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        from_nodes = d.pop("from_nodes", UNSET)

        to_nodes = d.pop("to_nodes", UNSET)

        _completed_at = d.pop("completed_at", UNSET)
        completed_at: datetime.datetime | Unset
        if isinstance(_completed_at, Unset):
            completed_at = UNSET
        else:
            completed_at = datetime.datetime.fromisoformat(_completed_at)

        error = d.pop("error", UNSET)

        expansion_view = cls(
            id=id,
            status=status,
            progress=progress,
            machine_ids=machine_ids,
            created_at=created_at,
            from_nodes=from_nodes,
            to_nodes=to_nodes,
            completed_at=completed_at,
            error=error,
        )

        expansion_view.additional_properties = d
        return expansion_view

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

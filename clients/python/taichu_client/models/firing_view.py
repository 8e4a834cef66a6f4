from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FiringView")


@_attrs_define
class FiringView:
    """One due time and what became of it.

    Attributes:
        due_at (datetime.datetime):
        status (str): `fired`, `skipped` (the cluster was busy), `missed` (no worker in time), `failed`.
        recorded_at (datetime.datetime):
        backup_id (str | Unset):
        reason (str | Unset):
    """

    due_at: datetime.datetime
    status: str
    recorded_at: datetime.datetime
    backup_id: str | Unset = UNSET
    reason: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        due_at = self.due_at.isoformat()

        status = self.status

        recorded_at = self.recorded_at.isoformat()

        backup_id = self.backup_id

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "due_at": due_at,
                "status": status,
                "recorded_at": recorded_at,
            }
        )
        if backup_id is not UNSET:
            field_dict["backup_id"] = backup_id
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        due_at = datetime.datetime.fromisoformat(d.pop("due_at"))

        status = d.pop("status")

        recorded_at = datetime.datetime.fromisoformat(d.pop("recorded_at"))

        backup_id = d.pop("backup_id", UNSET)

        reason = d.pop("reason", UNSET)

        firing_view = cls(
            due_at=due_at,
            status=status,
            recorded_at=recorded_at,
            backup_id=backup_id,
            reason=reason,
        )

        firing_view.additional_properties = d
        return firing_view

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

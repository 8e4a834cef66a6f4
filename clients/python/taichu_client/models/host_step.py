from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="HostStep")


@_attrs_define
class HostStep:
    """One step of one host of a run.

    Attributes:
        step (str): The run's step (`preflight`, `prepare`, `init`, `join-workers`, …).
        status (str): `running`, `done`, `skipped` (already done: a resumed run) or `failed`.
        updated_at (datetime.datetime):
        detail (str | Unset): Why it failed or was skipped (admins and whoever started the run).
    """

    step: str
    status: str
    updated_at: datetime.datetime
    detail: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        step = self.step

        status = self.status

        updated_at = self.updated_at.isoformat()

        detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "step": step,
                "status": status,
                "updated_at": updated_at,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        step = d.pop("step")

        status = d.pop("status")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        detail = d.pop("detail", UNSET)

        host_step = cls(
            step=step,
            status=status,
            updated_at=updated_at,
            detail=detail,
        )

        host_step.additional_properties = d
        return host_step

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

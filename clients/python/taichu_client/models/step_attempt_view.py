from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StepAttemptView")


@_attrs_define
class StepAttemptView:
    """One attempt at one step.

    Attributes:
        step_index (int):
        name (str):
        attempt (int):
        status (str): `running`, `completed`, `failed`, `abandoned` or `cancelled`.
        started_at (datetime.datetime):
        error (str | Unset):
        worker (str | Unset):
        finished_at (datetime.datetime | Unset):
        duration_ms (int | Unset):
    """

    step_index: int
    name: str
    attempt: int
    status: str
    started_at: datetime.datetime
    error: str | Unset = UNSET
    worker: str | Unset = UNSET
    finished_at: datetime.datetime | Unset = UNSET
    duration_ms: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        step_index = self.step_index

        name = self.name

        attempt = self.attempt

        status = self.status

        started_at = self.started_at.isoformat()

        error = self.error

        worker = self.worker

        finished_at: str | Unset = UNSET
        if not isinstance(self.finished_at, Unset):
            finished_at = self.finished_at.isoformat()

        duration_ms = self.duration_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "step_index": step_index,
                "name": name,
                "attempt": attempt,
                "status": status,
                "started_at": started_at,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if worker is not UNSET:
            field_dict["worker"] = worker
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if duration_ms is not UNSET:
            field_dict["duration_ms"] = duration_ms

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        step_index = d.pop("step_index")

        name = d.pop("name")

        attempt = d.pop("attempt")

        status = d.pop("status")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        error = d.pop("error", UNSET)

        worker = d.pop("worker", UNSET)

        _finished_at = d.pop("finished_at", UNSET)
        finished_at: datetime.datetime | Unset
        if isinstance(_finished_at, Unset):
            finished_at = UNSET
        else:
            finished_at = datetime.datetime.fromisoformat(_finished_at)

        duration_ms = d.pop("duration_ms", UNSET)

        step_attempt_view = cls(
            step_index=step_index,
            name=name,
            attempt=attempt,
            status=status,
            started_at=started_at,
            error=error,
            worker=worker,
            finished_at=finished_at,
            duration_ms=duration_ms,
        )

        step_attempt_view.additional_properties = d
        return step_attempt_view

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

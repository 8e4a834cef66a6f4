from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.log_line import LogLine
    from ..models.step_attempt_view import StepAttemptView


T = TypeVar("T", bound="RunDetail")


@_attrs_define
class RunDetail:
    """A run with its plan, every step attempt, and a page of its log.

    Attributes:
        id (str):
        kind (str):
        status (str): `pending`, `running`, `completed`, `failed` or `cancelled`.
        current_step (int): Index of the step being (or next to be) executed.
        total_steps (int):
        progress (int): 0-100, by step weight.
        attempts (int): Step executions so far, retries included.
        cancel_requested (bool):
        created_at (datetime.datetime):
        plan (list[str]): Step names in order.
        steps (list[StepAttemptView]):
        logs (list[LogLine]):
        log_total (int): Log lines in all; pass it back as `log_offset` to tail.
        subject (str | Unset): What the run acts on, e.g. a cluster id.
        error (str | Unset): Why the run failed or was cancelled (admins and whoever started it).
        created_by (str | Unset):
        started_at (datetime.datetime | Unset):
        finished_at (datetime.datetime | Unset):
    """

    id: str
    kind: str
    status: str
    current_step: int
    total_steps: int
    progress: int
    attempts: int
    cancel_requested: bool
    created_at: datetime.datetime
    plan: list[str]
    steps: list[StepAttemptView]
    logs: list[LogLine]
    log_total: int
    subject: str | Unset = UNSET
    error: str | Unset = UNSET
    created_by: str | Unset = UNSET
    started_at: datetime.datetime | Unset = UNSET
    finished_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        kind = self.kind

        status = self.status

        current_step = self.current_step

        total_steps = self.total_steps

        progress = self.progress

        attempts = self.attempts

        cancel_requested = self.cancel_requested

        created_at = self.created_at.isoformat()

        plan = self.plan

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        logs = []
        for logs_item_data in self.logs:
            logs_item = logs_item_data.to_dict()
            logs.append(logs_item)

        log_total = self.log_total

        subject = self.subject

        error = self.error

        created_by = self.created_by

        started_at: str | Unset = UNSET
        if not isinstance(self.started_at, Unset):
            started_at = self.started_at.isoformat()

        finished_at: str | Unset = UNSET
        if not isinstance(self.finished_at, Unset):
            finished_at = self.finished_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "status": status,
                "current_step": current_step,
                "total_steps": total_steps,
                "progress": progress,
                "attempts": attempts,
                "cancel_requested": cancel_requested,
                "created_at": created_at,
                "plan": plan,
                "steps": steps,
                "logs": logs,
                "log_total": log_total,
            }
        )
        if subject is not UNSET:
            field_dict["subject"] = subject
        if error is not UNSET:
            field_dict["error"] = error
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.log_line import LogLine  # noqa: PLC0415
        from ..models.step_attempt_view import StepAttemptView  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        kind = d.pop("kind")

        status = d.pop("status")

        current_step = d.pop("current_step")

        total_steps = d.pop("total_steps")

        progress = d.pop("progress")

        attempts = d.pop("attempts")

        cancel_requested = d.pop("cancel_requested")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        plan = cast(list[str], d.pop("plan"))

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = StepAttemptView.from_dict(steps_item_data)

            steps.append(steps_item)

        logs = []
        _logs = d.pop("logs")
        for logs_item_data in _logs:
            logs_item = LogLine.from_dict(logs_item_data)

            logs.append(logs_item)

        log_total = d.pop("log_total")

        subject = d.pop("subject", UNSET)

        error = d.pop("error", UNSET)

        created_by = d.pop("created_by", UNSET)

        _started_at = d.pop("started_at", UNSET)
        started_at: datetime.datetime | Unset
        if isinstance(_started_at, Unset):
            started_at = UNSET
        else:
            started_at = datetime.datetime.fromisoformat(_started_at)

        _finished_at = d.pop("finished_at", UNSET)
        finished_at: datetime.datetime | Unset
        if isinstance(_finished_at, Unset):
            finished_at = UNSET
        else:
            finished_at = datetime.datetime.fromisoformat(_finished_at)

        run_detail = cls(
            id=id,
            kind=kind,
            status=status,
            current_step=current_step,
            total_steps=total_steps,
            progress=progress,
            attempts=attempts,
            cancel_requested=cancel_requested,
            created_at=created_at,
            plan=plan,
            steps=steps,
            logs=logs,
            log_total=log_total,
            subject=subject,
            error=error,
            created_by=created_by,
            started_at=started_at,
            finished_at=finished_at,
        )

        run_detail.additional_properties = d
        return run_detail

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

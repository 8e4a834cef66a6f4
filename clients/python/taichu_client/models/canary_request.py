from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CanaryRequest")


@_attrs_define
class CanaryRequest:
    """Start a canary run.

    Attributes:
        steps (int): 1-100.
        step_ms (int): Sleep per step, at most 60000.
        fail_attempts (int): Attempts of each step that fail transiently before one succeeds (0-4).
    """

    steps: int
    step_ms: int
    fail_attempts: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        steps = self.steps

        step_ms = self.step_ms

        fail_attempts = self.fail_attempts

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "steps": steps,
                "step_ms": step_ms,
                "fail_attempts": fail_attempts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        steps = d.pop("steps")

        step_ms = d.pop("step_ms")

        fail_attempts = d.pop("fail_attempts")

        canary_request = cls(
            steps=steps,
            step_ms=step_ms,
            fail_attempts=fail_attempts,
        )

        canary_request.additional_properties = d
        return canary_request

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

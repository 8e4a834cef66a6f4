from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RestoreKindView")


@_attrs_define
class RestoreKindView:
    """Outcomes of one kind in a resources restore.

    Attributes:
        kind (str): `ConfigMap`, `Deployment.apps`.
        selected (int):
        applied (int):
        skipped (int): Already there and left as it was (`existing_policy: skip`).
        failed (int):
        errors (list[str]): The first reasons, `Kind namespace/name: reason`.
    """

    kind: str
    selected: int
    applied: int
    skipped: int
    failed: int
    errors: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        selected = self.selected

        applied = self.applied

        skipped = self.skipped

        failed = self.failed

        errors = self.errors

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "selected": selected,
                "applied": applied,
                "skipped": skipped,
                "failed": failed,
                "errors": errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = d.pop("kind")

        selected = d.pop("selected")

        applied = d.pop("applied")

        skipped = d.pop("skipped")

        failed = d.pop("failed")

        errors = cast(list[str], d.pop("errors"))

        restore_kind_view = cls(
            kind=kind,
            selected=selected,
            applied=applied,
            skipped=skipped,
            failed=failed,
            errors=errors,
        )

        restore_kind_view.additional_properties = d
        return restore_kind_view

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

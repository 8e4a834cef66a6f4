from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="BackupPartView")


@_attrs_define
class BackupPartView:
    """One part of a backup (etcd snapshot, resources archive).

    Attributes:
        kind (str): `etcd` or `resources`.
        status (str):
        size_bytes (int | Unset):
        sha256 (str | Unset): SHA-256 of the stored (encrypted) object.
        plain_sha256 (str | Unset): SHA-256 of the snapshot or archive itself, as downloaded.
        plain_size_bytes (int | Unset):
        error (str | Unset):
    """

    kind: str
    status: str
    size_bytes: int | Unset = UNSET
    sha256: str | Unset = UNSET
    plain_sha256: str | Unset = UNSET
    plain_size_bytes: int | Unset = UNSET
    error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        status = self.status

        size_bytes = self.size_bytes

        sha256 = self.sha256

        plain_sha256 = self.plain_sha256

        plain_size_bytes = self.plain_size_bytes

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "status": status,
            }
        )
        if size_bytes is not UNSET:
            field_dict["size_bytes"] = size_bytes
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if plain_sha256 is not UNSET:
            field_dict["plain_sha256"] = plain_sha256
        if plain_size_bytes is not UNSET:
            field_dict["plain_size_bytes"] = plain_size_bytes
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = d.pop("kind")

        status = d.pop("status")

        size_bytes = d.pop("size_bytes", UNSET)

        sha256 = d.pop("sha256", UNSET)

        plain_sha256 = d.pop("plain_sha256", UNSET)

        plain_size_bytes = d.pop("plain_size_bytes", UNSET)

        error = d.pop("error", UNSET)

        backup_part_view = cls(
            kind=kind,
            status=status,
            size_bytes=size_bytes,
            sha256=sha256,
            plain_sha256=plain_sha256,
            plain_size_bytes=plain_size_bytes,
            error=error,
        )

        backup_part_view.additional_properties = d
        return backup_part_view

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

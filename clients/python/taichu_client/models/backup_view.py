from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.backup_part_view import BackupPartView
    from ..models.backup_view_filters import BackupViewFilters
    from ..models.kind_count_view import KindCountView


T = TypeVar("T", bound="BackupView")


@_attrs_define
class BackupView:
    """
    Attributes:
        id (str):
        cluster_name (str):
        name (str):
        backup_name (str):
        backup_type (str): `etcd`, `resources` or `full`.
        status (str): `pending`, `running`, `completed`, `failed`, `deleting`, `delete_failed`.
        storage_location (str): Where the backup's objects are: `s3://bucket/clusters/…/` or `file:///…/`.
        retention_days (int):
        parts (list[BackupPartView]):
        kinds (list[KindCountView]): The kinds in the resources archive, with counts, in restore order.
        created_at (datetime.datetime):
        cluster_id (str | Unset):
        storage_size_bytes (int | Unset):
        sha256 (str | Unset): SHA-256 of the stored etcd snapshot object.
        etcd_revision (int | Unset):
        etcd_version (str | Unset):
        key_count (int | Unset):
        snapshot_timestamp (datetime.datetime | Unset): When the snapshot was taken.
        expires_at (datetime.datetime | Unset):
        workflow_id (str | Unset): The `backup` run doing the work.
        filters (BackupViewFilters | Unset): The filters a resources backup was taken with.
        total_objects (int | Unset): Objects in the resources archive.
        created_by (str | Unset):
        started_at (datetime.datetime | Unset):
        completed_at (datetime.datetime | Unset):
        error_message (str | Unset): Why it failed; for a full backup, which part failed and which can still be
            restored.
    """

    id: str
    cluster_name: str
    name: str
    backup_name: str
    backup_type: str
    status: str
    storage_location: str
    retention_days: int
    parts: list[BackupPartView]
    kinds: list[KindCountView]
    created_at: datetime.datetime
    cluster_id: str | Unset = UNSET
    storage_size_bytes: int | Unset = UNSET
    sha256: str | Unset = UNSET
    etcd_revision: int | Unset = UNSET
    etcd_version: str | Unset = UNSET
    key_count: int | Unset = UNSET
    snapshot_timestamp: datetime.datetime | Unset = UNSET
    expires_at: datetime.datetime | Unset = UNSET
    workflow_id: str | Unset = UNSET
    filters: BackupViewFilters | Unset = UNSET
    total_objects: int | Unset = UNSET
    created_by: str | Unset = UNSET
    started_at: datetime.datetime | Unset = UNSET
    completed_at: datetime.datetime | Unset = UNSET
    error_message: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        cluster_name = self.cluster_name

        name = self.name

        backup_name = self.backup_name

        backup_type = self.backup_type

        status = self.status

        storage_location = self.storage_location

        retention_days = self.retention_days

        parts = []
        for parts_item_data in self.parts:
            parts_item = parts_item_data.to_dict()
            parts.append(parts_item)

        kinds = []
        for kinds_item_data in self.kinds:
            kinds_item = kinds_item_data.to_dict()
            kinds.append(kinds_item)

        created_at = self.created_at.isoformat()

        cluster_id = self.cluster_id

        storage_size_bytes = self.storage_size_bytes

        sha256 = self.sha256

        etcd_revision = self.etcd_revision

        etcd_version = self.etcd_version

        key_count = self.key_count

        snapshot_timestamp: str | Unset = UNSET
        if not isinstance(self.snapshot_timestamp, Unset):
            snapshot_timestamp = self.snapshot_timestamp.isoformat()

        expires_at: str | Unset = UNSET
        if not isinstance(self.expires_at, Unset):
            expires_at = self.expires_at.isoformat()

        workflow_id = self.workflow_id

        filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = self.filters.to_dict()

        total_objects = self.total_objects

        created_by = self.created_by

        started_at: str | Unset = UNSET
        if not isinstance(self.started_at, Unset):
            started_at = self.started_at.isoformat()

        completed_at: str | Unset = UNSET
        if not isinstance(self.completed_at, Unset):
            completed_at = self.completed_at.isoformat()

        error_message = self.error_message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "cluster_name": cluster_name,
                "name": name,
                "backup_name": backup_name,
                "backup_type": backup_type,
                "status": status,
                "storage_location": storage_location,
                "retention_days": retention_days,
                "parts": parts,
                "kinds": kinds,
                "created_at": created_at,
            }
        )
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if storage_size_bytes is not UNSET:
            field_dict["storage_size_bytes"] = storage_size_bytes
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if etcd_revision is not UNSET:
            field_dict["etcd_revision"] = etcd_revision
        if etcd_version is not UNSET:
            field_dict["etcd_version"] = etcd_version
        if key_count is not UNSET:
            field_dict["key_count"] = key_count
        if snapshot_timestamp is not UNSET:
            field_dict["snapshot_timestamp"] = snapshot_timestamp
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if workflow_id is not UNSET:
            field_dict["workflow_id"] = workflow_id
        if filters is not UNSET:
            field_dict["filters"] = filters
        if total_objects is not UNSET:
            field_dict["total_objects"] = total_objects
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at
        if error_message is not UNSET:
            field_dict["error_message"] = error_message

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backup_part_view import BackupPartView  # noqa: PLC0415
        from ..models.backup_view_filters import BackupViewFilters  # noqa: PLC0415
        from ..models.kind_count_view import KindCountView  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        cluster_name = d.pop("cluster_name")

        name = d.pop("name")

        backup_name = d.pop("backup_name")

        backup_type = d.pop("backup_type")

        status = d.pop("status")

        storage_location = d.pop("storage_location")

        retention_days = d.pop("retention_days")

        parts = []
        _parts = d.pop("parts")
        for parts_item_data in _parts:
            parts_item = BackupPartView.from_dict(parts_item_data)

            parts.append(parts_item)

        kinds = []
        _kinds = d.pop("kinds")
        for kinds_item_data in _kinds:
            kinds_item = KindCountView.from_dict(kinds_item_data)

            kinds.append(kinds_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        cluster_id = d.pop("cluster_id", UNSET)

        storage_size_bytes = d.pop("storage_size_bytes", UNSET)

        sha256 = d.pop("sha256", UNSET)

        etcd_revision = d.pop("etcd_revision", UNSET)

        etcd_version = d.pop("etcd_version", UNSET)

        key_count = d.pop("key_count", UNSET)

        _snapshot_timestamp = d.pop("snapshot_timestamp", UNSET)
        snapshot_timestamp: datetime.datetime | Unset
        if isinstance(_snapshot_timestamp, Unset):
            snapshot_timestamp = UNSET
        else:
            snapshot_timestamp = datetime.datetime.fromisoformat(_snapshot_timestamp)

        _expires_at = d.pop("expires_at", UNSET)
        expires_at: datetime.datetime | Unset
        if isinstance(_expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = datetime.datetime.fromisoformat(_expires_at)

        workflow_id = d.pop("workflow_id", UNSET)

        _filters = d.pop("filters", UNSET)
        filters: BackupViewFilters | Unset
        if isinstance(_filters, Unset):
            filters = UNSET
        else:
            filters = BackupViewFilters.from_dict(_filters)

        total_objects = d.pop("total_objects", UNSET)

        created_by = d.pop("created_by", UNSET)

        _started_at = d.pop("started_at", UNSET)
        started_at: datetime.datetime | Unset
        if isinstance(_started_at, Unset):
            started_at = UNSET
        else:
            started_at = datetime.datetime.fromisoformat(_started_at)

        _completed_at = d.pop("completed_at", UNSET)
        completed_at: datetime.datetime | Unset
        if isinstance(_completed_at, Unset):
            completed_at = UNSET
        else:
            completed_at = datetime.datetime.fromisoformat(_completed_at)

        error_message = d.pop("error_message", UNSET)

        backup_view = cls(
            id=id,
            cluster_name=cluster_name,
            name=name,
            backup_name=backup_name,
            backup_type=backup_type,
            status=status,
            storage_location=storage_location,
            retention_days=retention_days,
            parts=parts,
            kinds=kinds,
            created_at=created_at,
            cluster_id=cluster_id,
            storage_size_bytes=storage_size_bytes,
            sha256=sha256,
            etcd_revision=etcd_revision,
            etcd_version=etcd_version,
            key_count=key_count,
            snapshot_timestamp=snapshot_timestamp,
            expires_at=expires_at,
            workflow_id=workflow_id,
            filters=filters,
            total_objects=total_objects,
            created_by=created_by,
            started_at=started_at,
            completed_at=completed_at,
            error_message=error_message,
        )

        backup_view.additional_properties = d
        return backup_view

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restore_kind_view import RestoreKindView


T = TypeVar("T", bound="RestoreView")


@_attrs_define
class RestoreView:
    """A restore's progress.

    Attributes:
        id (str):
        restore_name (str):
        parts (list[str]): The parts restored: `etcd`, `resources`.
        options (Any): The resources options: filters, `namespace_mappings`, `existing_policy`.
        status (str): `pending`, `running`, `completed`, `completed_with_errors` (some
            objects failed: see `objects_failed` and `kinds`), `failed`, `cancelled`.
        progress (int): Percent done: objects applied of those selected for a resources
            restore, the steps' weight otherwise.
        kinds (list[RestoreKindView]):
        details (Any): What the restore went through: members, the revision they agree on,
            whether it was rolled back.
        logs (str): The run's log (admins and whoever started the restore).
        created_at (datetime.datetime):
        backup_id (str | Unset):
        cluster_id (str | Unset): The cluster restored into.
        source_cluster_id (str | Unset): The cluster the backup was taken from.
        objects_selected (int | Unset):
        objects_applied (int | Unset):
        objects_skipped (int | Unset):
        objects_failed (int | Unset):
        current_step (str | Unset): The step running now (or where it stopped).
        workflow_id (str | Unset): The `restore` run doing the work.
        created_by (str | Unset):
        started_at (datetime.datetime | Unset):
        completed_at (datetime.datetime | Unset):
        error_message (str | Unset): Why it failed (admins and whoever started it).
    """

    id: str
    restore_name: str
    parts: list[str]
    options: Any
    status: str
    progress: int
    kinds: list[RestoreKindView]
    details: Any
    logs: str
    created_at: datetime.datetime
    backup_id: str | Unset = UNSET
    cluster_id: str | Unset = UNSET
    source_cluster_id: str | Unset = UNSET
    objects_selected: int | Unset = UNSET
    objects_applied: int | Unset = UNSET
    objects_skipped: int | Unset = UNSET
    objects_failed: int | Unset = UNSET
    current_step: str | Unset = UNSET
    workflow_id: str | Unset = UNSET
    created_by: str | Unset = UNSET
    started_at: datetime.datetime | Unset = UNSET
    completed_at: datetime.datetime | Unset = UNSET
    error_message: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        restore_name = self.restore_name

        parts = self.parts

        options = self.options

        status = self.status

        progress = self.progress

        kinds = []
        for kinds_item_data in self.kinds:
            kinds_item = kinds_item_data.to_dict()
            kinds.append(kinds_item)

        details = self.details

        logs = self.logs

        created_at = self.created_at.isoformat()

        backup_id = self.backup_id

        cluster_id = self.cluster_id

        source_cluster_id = self.source_cluster_id

        objects_selected = self.objects_selected

        objects_applied = self.objects_applied

        objects_skipped = self.objects_skipped

        objects_failed = self.objects_failed

        current_step = self.current_step

        workflow_id = self.workflow_id

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
                "restore_name": restore_name,
                "parts": parts,
                "options": options,
                "status": status,
                "progress": progress,
                "kinds": kinds,
                "details": details,
                "logs": logs,
                "created_at": created_at,
            }
        )
        if backup_id is not UNSET:
            field_dict["backup_id"] = backup_id
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if source_cluster_id is not UNSET:
            field_dict["source_cluster_id"] = source_cluster_id
        if objects_selected is not UNSET:
            field_dict["objects_selected"] = objects_selected
        if objects_applied is not UNSET:
            field_dict["objects_applied"] = objects_applied
        if objects_skipped is not UNSET:
            field_dict["objects_skipped"] = objects_skipped
        if objects_failed is not UNSET:
            field_dict["objects_failed"] = objects_failed
        if current_step is not UNSET:
            field_dict["current_step"] = current_step
        if workflow_id is not UNSET:
            field_dict["workflow_id"] = workflow_id
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
        from ..models.restore_kind_view import RestoreKindView  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        restore_name = d.pop("restore_name")

        parts = cast(list[str], d.pop("parts"))

        options = d.pop("options")

        status = d.pop("status")

        progress = d.pop("progress")

        kinds = []
        _kinds = d.pop("kinds")
        for kinds_item_data in _kinds:
            kinds_item = RestoreKindView.from_dict(kinds_item_data)

            kinds.append(kinds_item)

        details = d.pop("details")

        logs = d.pop("logs")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        backup_id = d.pop("backup_id", UNSET)

        cluster_id = d.pop("cluster_id", UNSET)

        source_cluster_id = d.pop("source_cluster_id", UNSET)

        objects_selected = d.pop("objects_selected", UNSET)

        objects_applied = d.pop("objects_applied", UNSET)

        objects_skipped = d.pop("objects_skipped", UNSET)

        objects_failed = d.pop("objects_failed", UNSET)

        current_step = d.pop("current_step", UNSET)

        workflow_id = d.pop("workflow_id", UNSET)

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

        restore_view = cls(
            id=id,
            restore_name=restore_name,
            parts=parts,
            options=options,
            status=status,
            progress=progress,
            kinds=kinds,
            details=details,
            logs=logs,
            created_at=created_at,
            backup_id=backup_id,
            cluster_id=cluster_id,
            source_cluster_id=source_cluster_id,
            objects_selected=objects_selected,
            objects_applied=objects_applied,
            objects_skipped=objects_skipped,
            objects_failed=objects_failed,
            current_step=current_step,
            workflow_id=workflow_id,
            created_by=created_by,
            started_at=started_at,
            completed_at=completed_at,
            error_message=error_message,
        )

        restore_view.additional_properties = d
        return restore_view

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

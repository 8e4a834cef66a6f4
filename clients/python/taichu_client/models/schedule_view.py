from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.firing_view import FiringView
    from ..models.resource_filters_body import ResourceFiltersBody


T = TypeVar("T", bound="ScheduleView")


@_attrs_define
class ScheduleView:
    """
    Attributes:
        id (str):
        cluster_id (str):
        name (str):
        schedule_name (str):
        cron_expr (str):
        cron_expression (str):
        timezone (str):
        backup_type (str):
        retention_days (int):
        enabled (bool):
        has_ssh_password (bool):
        recent_firings (list[FiringView]): The newest firings (on `GET …/backup-schedules/{scheduleId}`).
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        retention_count (int | Unset):
        etcd_endpoints (str | Unset):
        etcd_ca_cert (str | Unset):
        etcd_cert (str | Unset):
        etcd_key (str | Unset):
        etcd_data_dir (str | Unset):
        etcdctl_path (str | Unset):
        ssh_username (str | Unset):
        etcd_deployment_type (str | Unset):
        k8s_deployment_type (str | Unset):
        filters (ResourceFiltersBody | Unset): Which objects a resources (or full) backup takes.
        next_run_at (datetime.datetime | Unset):
        last_run_at (datetime.datetime | Unset):
        last_backup_id (str | Unset):
        last_status (str | Unset): What the last due time became: `fired`, `skipped`, `missed`, `failed`.
        created_by (str | Unset):
    """

    id: str
    cluster_id: str
    name: str
    schedule_name: str
    cron_expr: str
    cron_expression: str
    timezone: str
    backup_type: str
    retention_days: int
    enabled: bool
    has_ssh_password: bool
    recent_firings: list[FiringView]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    retention_count: int | Unset = UNSET
    etcd_endpoints: str | Unset = UNSET
    etcd_ca_cert: str | Unset = UNSET
    etcd_cert: str | Unset = UNSET
    etcd_key: str | Unset = UNSET
    etcd_data_dir: str | Unset = UNSET
    etcdctl_path: str | Unset = UNSET
    ssh_username: str | Unset = UNSET
    etcd_deployment_type: str | Unset = UNSET
    k8s_deployment_type: str | Unset = UNSET
    filters: ResourceFiltersBody | Unset = UNSET
    next_run_at: datetime.datetime | Unset = UNSET
    last_run_at: datetime.datetime | Unset = UNSET
    last_backup_id: str | Unset = UNSET
    last_status: str | Unset = UNSET
    created_by: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        cluster_id = self.cluster_id

        name = self.name

        schedule_name = self.schedule_name

        cron_expr = self.cron_expr

        cron_expression = self.cron_expression

        timezone = self.timezone

        backup_type = self.backup_type

        retention_days = self.retention_days

        enabled = self.enabled

        has_ssh_password = self.has_ssh_password

        recent_firings = []
        for recent_firings_item_data in self.recent_firings:
            recent_firings_item = recent_firings_item_data.to_dict()
            recent_firings.append(recent_firings_item)

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        retention_count = self.retention_count

        etcd_endpoints = self.etcd_endpoints

        etcd_ca_cert = self.etcd_ca_cert

        etcd_cert = self.etcd_cert

        etcd_key = self.etcd_key

        etcd_data_dir = self.etcd_data_dir

        etcdctl_path = self.etcdctl_path

        ssh_username = self.ssh_username

        etcd_deployment_type = self.etcd_deployment_type

        k8s_deployment_type = self.k8s_deployment_type

        filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = self.filters.to_dict()

        next_run_at: str | Unset = UNSET
        if not isinstance(self.next_run_at, Unset):
            next_run_at = self.next_run_at.isoformat()

        last_run_at: str | Unset = UNSET
        if not isinstance(self.last_run_at, Unset):
            last_run_at = self.last_run_at.isoformat()

        last_backup_id = self.last_backup_id

        last_status = self.last_status

        created_by = self.created_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "cluster_id": cluster_id,
                "name": name,
                "schedule_name": schedule_name,
                "cron_expr": cron_expr,
                "cron_expression": cron_expression,
                "timezone": timezone,
                "backup_type": backup_type,
                "retention_days": retention_days,
                "enabled": enabled,
                "has_ssh_password": has_ssh_password,
                "recent_firings": recent_firings,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if retention_count is not UNSET:
            field_dict["retention_count"] = retention_count
        if etcd_endpoints is not UNSET:
            field_dict["etcd_endpoints"] = etcd_endpoints
        if etcd_ca_cert is not UNSET:
            field_dict["etcd_ca_cert"] = etcd_ca_cert
        if etcd_cert is not UNSET:
            field_dict["etcd_cert"] = etcd_cert
        if etcd_key is not UNSET:
            field_dict["etcd_key"] = etcd_key
        if etcd_data_dir is not UNSET:
            field_dict["etcd_data_dir"] = etcd_data_dir
        if etcdctl_path is not UNSET:
            field_dict["etcdctl_path"] = etcdctl_path
        if ssh_username is not UNSET:
            field_dict["ssh_username"] = ssh_username
        if etcd_deployment_type is not UNSET:
            field_dict["etcd_deployment_type"] = etcd_deployment_type
        if k8s_deployment_type is not UNSET:
            field_dict["k8s_deployment_type"] = k8s_deployment_type
        if filters is not UNSET:
            field_dict["filters"] = filters
        if next_run_at is not UNSET:
            field_dict["next_run_at"] = next_run_at
        if last_run_at is not UNSET:
            field_dict["last_run_at"] = last_run_at
        if last_backup_id is not UNSET:
            field_dict["last_backup_id"] = last_backup_id
        if last_status is not UNSET:
            field_dict["last_status"] = last_status
        if created_by is not UNSET:
            field_dict["created_by"] = created_by

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.firing_view import FiringView  # noqa: PLC0415
        from ..models.resource_filters_body import ResourceFiltersBody  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        cluster_id = d.pop("cluster_id")

        name = d.pop("name")

        schedule_name = d.pop("schedule_name")

        cron_expr = d.pop("cron_expr")

        cron_expression = d.pop("cron_expression")

        timezone = d.pop("timezone")

        backup_type = d.pop("backup_type")

        retention_days = d.pop("retention_days")

        enabled = d.pop("enabled")

        has_ssh_password = d.pop("has_ssh_password")

        recent_firings = []
        _recent_firings = d.pop("recent_firings")
        for recent_firings_item_data in _recent_firings:
            recent_firings_item = FiringView.from_dict(recent_firings_item_data)

            recent_firings.append(recent_firings_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        retention_count = d.pop("retention_count", UNSET)

        etcd_endpoints = d.pop("etcd_endpoints", UNSET)

        etcd_ca_cert = d.pop("etcd_ca_cert", UNSET)

        etcd_cert = d.pop("etcd_cert", UNSET)

        etcd_key = d.pop("etcd_key", UNSET)

        etcd_data_dir = d.pop("etcd_data_dir", UNSET)

        etcdctl_path = d.pop("etcdctl_path", UNSET)

        ssh_username = d.pop("ssh_username", UNSET)

        etcd_deployment_type = d.pop("etcd_deployment_type", UNSET)

        k8s_deployment_type = d.pop("k8s_deployment_type", UNSET)

        _filters = d.pop("filters", UNSET)
        filters: ResourceFiltersBody | Unset
        if isinstance(_filters, Unset):
            filters = UNSET
        else:
            filters = ResourceFiltersBody.from_dict(_filters)

        _next_run_at = d.pop("next_run_at", UNSET)
        next_run_at: datetime.datetime | Unset
        if isinstance(_next_run_at, Unset):
            next_run_at = UNSET
        else:
            next_run_at = datetime.datetime.fromisoformat(_next_run_at)

        _last_run_at = d.pop("last_run_at", UNSET)
        last_run_at: datetime.datetime | Unset
        if isinstance(_last_run_at, Unset):
            last_run_at = UNSET
        else:
            last_run_at = datetime.datetime.fromisoformat(_last_run_at)

        last_backup_id = d.pop("last_backup_id", UNSET)

        last_status = d.pop("last_status", UNSET)

        created_by = d.pop("created_by", UNSET)

        schedule_view = cls(
            id=id,
            cluster_id=cluster_id,
            name=name,
            schedule_name=schedule_name,
            cron_expr=cron_expr,
            cron_expression=cron_expression,
            timezone=timezone,
            backup_type=backup_type,
            retention_days=retention_days,
            enabled=enabled,
            has_ssh_password=has_ssh_password,
            recent_firings=recent_firings,
            created_at=created_at,
            updated_at=updated_at,
            retention_count=retention_count,
            etcd_endpoints=etcd_endpoints,
            etcd_ca_cert=etcd_ca_cert,
            etcd_cert=etcd_cert,
            etcd_key=etcd_key,
            etcd_data_dir=etcd_data_dir,
            etcdctl_path=etcdctl_path,
            ssh_username=ssh_username,
            etcd_deployment_type=etcd_deployment_type,
            k8s_deployment_type=k8s_deployment_type,
            filters=filters,
            next_run_at=next_run_at,
            last_run_at=last_run_at,
            last_backup_id=last_backup_id,
            last_status=last_status,
            created_by=created_by,
        )

        schedule_view.additional_properties = d
        return schedule_view

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

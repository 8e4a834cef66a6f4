from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ClusterView")


@_attrs_define
class ClusterView:
    """A cluster as the API shows it (the kubeconfig only as `has_kubeconfig`).

    Attributes:
        id (str):
        name (str):
        node_count (int):
        status (str): `pending`, `creating`, `running`, `healthy`, `unhealthy`, `unreachable`, `deleting`.
        has_kubeconfig (bool):
        allow_insecure (bool): An admin allowed `insecure-skip-tls-verify` or plain `http` for this cluster.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        description (str | Unset):
        provider (str | Unset):
        region (str | Unset):
        version (str | Unset):
        status_message (str | Unset):
        api_server (str | Unset):
        control_plane_machine_id (str | Unset): For an imported cluster: its registered control-plane machine (expansion
            gets join tokens there).
        created_by (str | Unset):
        owner_id (str | Unset): The owner's user id; the owner and admins may delete it and read its audit trail.
        last_seen_at (datetime.datetime | Unset):
    """

    id: str
    name: str
    node_count: int
    status: str
    has_kubeconfig: bool
    allow_insecure: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    description: str | Unset = UNSET
    provider: str | Unset = UNSET
    region: str | Unset = UNSET
    version: str | Unset = UNSET
    status_message: str | Unset = UNSET
    api_server: str | Unset = UNSET
    control_plane_machine_id: str | Unset = UNSET
    created_by: str | Unset = UNSET
    owner_id: str | Unset = UNSET
    last_seen_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        node_count = self.node_count

        status = self.status

        has_kubeconfig = self.has_kubeconfig

        allow_insecure = self.allow_insecure

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        description = self.description

        provider = self.provider

        region = self.region

        version = self.version

        status_message = self.status_message

        api_server = self.api_server

        control_plane_machine_id = self.control_plane_machine_id

        created_by = self.created_by

        owner_id = self.owner_id

        last_seen_at: str | Unset = UNSET
        if not isinstance(self.last_seen_at, Unset):
            last_seen_at = self.last_seen_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "node_count": node_count,
                "status": status,
                "has_kubeconfig": has_kubeconfig,
                "allow_insecure": allow_insecure,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if provider is not UNSET:
            field_dict["provider"] = provider
        if region is not UNSET:
            field_dict["region"] = region
        if version is not UNSET:
            field_dict["version"] = version
        if status_message is not UNSET:
            field_dict["status_message"] = status_message
        if api_server is not UNSET:
            field_dict["api_server"] = api_server
        if control_plane_machine_id is not UNSET:
            field_dict["control_plane_machine_id"] = control_plane_machine_id
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if owner_id is not UNSET:
            field_dict["owner_id"] = owner_id
        if last_seen_at is not UNSET:
            field_dict["last_seen_at"] = last_seen_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        node_count = d.pop("node_count")

        status = d.pop("status")

        has_kubeconfig = d.pop("has_kubeconfig")

        allow_insecure = d.pop("allow_insecure")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        description = d.pop("description", UNSET)

        provider = d.pop("provider", UNSET)

        region = d.pop("region", UNSET)

        version = d.pop("version", UNSET)

        status_message = d.pop("status_message", UNSET)

        api_server = d.pop("api_server", UNSET)

        control_plane_machine_id = d.pop("control_plane_machine_id", UNSET)

        created_by = d.pop("created_by", UNSET)

        owner_id = d.pop("owner_id", UNSET)

        _last_seen_at = d.pop("last_seen_at", UNSET)
        last_seen_at: datetime.datetime | Unset
        if isinstance(_last_seen_at, Unset):
            last_seen_at = UNSET
        else:
            last_seen_at = datetime.datetime.fromisoformat(_last_seen_at)

        cluster_view = cls(
            id=id,
            name=name,
            node_count=node_count,
            status=status,
            has_kubeconfig=has_kubeconfig,
            allow_insecure=allow_insecure,
            created_at=created_at,
            updated_at=updated_at,
            description=description,
            provider=provider,
            region=region,
            version=version,
            status_message=status_message,
            api_server=api_server,
            control_plane_machine_id=control_plane_machine_id,
            created_by=created_by,
            owner_id=owner_id,
            last_seen_at=last_seen_at,
        )

        cluster_view.additional_properties = d
        return cluster_view

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

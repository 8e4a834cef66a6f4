from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.created_machine_labels import CreatedMachineLabels


T = TypeVar("T", bound="CreatedMachine")


@_attrs_define
class CreatedMachine:
    """A created machine and the check run that probes it.

    Attributes:
        id (str):
        name (str):
        ip (str):
        port (int):
        username (str):
        role (str): `control-plane`, `worker` or `etcd`.
        labels (CreatedMachineLabels):
        status (str): `pending`, `ready`, `unreachable`, `in-use` or `maintenance`.
        has_password (bool):
        has_private_key (bool):
        has_passphrase (bool):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        check_workflow_id (str):
        description (str | Unset):
        status_message (str | Unset): Result of the last check: why a machine is unreachable, for instance.
        last_check_at (datetime.datetime | Unset):
        host_key_fingerprint (str | Unset): Pinned on first contact (`SHA256:…`); a different key is refused.
        hostname (str | Unset):
        os (str | Unset):
        kernel (str | Unset):
        arch (str | Unset):
        cpu_cores (int | Unset):
        memory_bytes (int | Unset):
        cluster_id (str | Unset): The cluster using this machine, if any.
        owner_id (str | Unset): The owner's user id; the owner and admins may change, check or delete it.
    """

    id: str
    name: str
    ip: str
    port: int
    username: str
    role: str
    labels: CreatedMachineLabels
    status: str
    has_password: bool
    has_private_key: bool
    has_passphrase: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    check_workflow_id: str
    description: str | Unset = UNSET
    status_message: str | Unset = UNSET
    last_check_at: datetime.datetime | Unset = UNSET
    host_key_fingerprint: str | Unset = UNSET
    hostname: str | Unset = UNSET
    os: str | Unset = UNSET
    kernel: str | Unset = UNSET
    arch: str | Unset = UNSET
    cpu_cores: int | Unset = UNSET
    memory_bytes: int | Unset = UNSET
    cluster_id: str | Unset = UNSET
    owner_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        ip = self.ip

        port = self.port

        username = self.username

        role = self.role

        labels = self.labels.to_dict()

        status = self.status

        has_password = self.has_password

        has_private_key = self.has_private_key

        has_passphrase = self.has_passphrase

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        check_workflow_id = self.check_workflow_id

        description = self.description

        status_message = self.status_message

        last_check_at: str | Unset = UNSET
        if not isinstance(self.last_check_at, Unset):
            last_check_at = self.last_check_at.isoformat()

        host_key_fingerprint = self.host_key_fingerprint

        hostname = self.hostname

        os = self.os

        kernel = self.kernel

        arch = self.arch

        cpu_cores = self.cpu_cores

        memory_bytes = self.memory_bytes

        cluster_id = self.cluster_id

        owner_id = self.owner_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "ip": ip,
                "port": port,
                "username": username,
                "role": role,
                "labels": labels,
                "status": status,
                "has_password": has_password,
                "has_private_key": has_private_key,
                "has_passphrase": has_passphrase,
                "created_at": created_at,
                "updated_at": updated_at,
                "check_workflow_id": check_workflow_id,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if status_message is not UNSET:
            field_dict["status_message"] = status_message
        if last_check_at is not UNSET:
            field_dict["last_check_at"] = last_check_at
        if host_key_fingerprint is not UNSET:
            field_dict["host_key_fingerprint"] = host_key_fingerprint
        if hostname is not UNSET:
            field_dict["hostname"] = hostname
        if os is not UNSET:
            field_dict["os"] = os
        if kernel is not UNSET:
            field_dict["kernel"] = kernel
        if arch is not UNSET:
            field_dict["arch"] = arch
        if cpu_cores is not UNSET:
            field_dict["cpu_cores"] = cpu_cores
        if memory_bytes is not UNSET:
            field_dict["memory_bytes"] = memory_bytes
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if owner_id is not UNSET:
            field_dict["owner_id"] = owner_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.created_machine_labels import CreatedMachineLabels  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        ip = d.pop("ip")

        port = d.pop("port")

        username = d.pop("username")

        role = d.pop("role")

        labels = CreatedMachineLabels.from_dict(d.pop("labels"))

        status = d.pop("status")

        has_password = d.pop("has_password")

        has_private_key = d.pop("has_private_key")

        has_passphrase = d.pop("has_passphrase")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        check_workflow_id = d.pop("check_workflow_id")

        description = d.pop("description", UNSET)

        status_message = d.pop("status_message", UNSET)

        _last_check_at = d.pop("last_check_at", UNSET)
        last_check_at: datetime.datetime | Unset
        if isinstance(_last_check_at, Unset):
            last_check_at = UNSET
        else:
            last_check_at = datetime.datetime.fromisoformat(_last_check_at)

        host_key_fingerprint = d.pop("host_key_fingerprint", UNSET)

        hostname = d.pop("hostname", UNSET)

        os = d.pop("os", UNSET)

        kernel = d.pop("kernel", UNSET)

        arch = d.pop("arch", UNSET)

        cpu_cores = d.pop("cpu_cores", UNSET)

        memory_bytes = d.pop("memory_bytes", UNSET)

        cluster_id = d.pop("cluster_id", UNSET)

        owner_id = d.pop("owner_id", UNSET)

        created_machine = cls(
            id=id,
            name=name,
            ip=ip,
            port=port,
            username=username,
            role=role,
            labels=labels,
            status=status,
            has_password=has_password,
            has_private_key=has_private_key,
            has_passphrase=has_passphrase,
            created_at=created_at,
            updated_at=updated_at,
            check_workflow_id=check_workflow_id,
            description=description,
            status_message=status_message,
            last_check_at=last_check_at,
            host_key_fingerprint=host_key_fingerprint,
            hostname=hostname,
            os=os,
            kernel=kernel,
            arch=arch,
            cpu_cores=cpu_cores,
            memory_bytes=memory_bytes,
            cluster_id=cluster_id,
            owner_id=owner_id,
        )

        created_machine.additional_properties = d
        return created_machine

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

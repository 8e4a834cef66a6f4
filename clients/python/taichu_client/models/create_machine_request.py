from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_machine_request_labels import CreateMachineRequestLabels


T = TypeVar("T", bound="CreateMachineRequest")


@_attrs_define
class CreateMachineRequest:
    """A new machine: a password or a private key (or both) is required.

    Attributes:
        name (str): Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
        ip (str): IPv4 or IPv6 address.
        username (str):
        role (str): `control-plane`, `worker` or `etcd`.
        port (int | Unset): SSH port, default 22.
        password (str | Unset):
        private_key (str | Unset): PEM or OpenSSH private key.
        passphrase (str | Unset):
        labels (CreateMachineRequestLabels | Unset):
        description (str | Unset):
    """

    name: str
    ip: str
    username: str
    role: str
    port: int | Unset = UNSET
    password: str | Unset = UNSET
    private_key: str | Unset = UNSET
    passphrase: str | Unset = UNSET
    labels: CreateMachineRequestLabels | Unset = UNSET
    description: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        ip = self.ip

        username = self.username

        role = self.role

        port = self.port

        password = self.password

        private_key = self.private_key

        passphrase = self.passphrase

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        description = self.description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "ip": ip,
                "username": username,
                "role": role,
            }
        )
        if port is not UNSET:
            field_dict["port"] = port
        if password is not UNSET:
            field_dict["password"] = password
        if private_key is not UNSET:
            field_dict["private_key"] = private_key
        if passphrase is not UNSET:
            field_dict["passphrase"] = passphrase
        if labels is not UNSET:
            field_dict["labels"] = labels
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_machine_request_labels import CreateMachineRequestLabels  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        ip = d.pop("ip")

        username = d.pop("username")

        role = d.pop("role")

        port = d.pop("port", UNSET)

        password = d.pop("password", UNSET)

        private_key = d.pop("private_key", UNSET)

        passphrase = d.pop("passphrase", UNSET)

        _labels = d.pop("labels", UNSET)
        labels: CreateMachineRequestLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = CreateMachineRequestLabels.from_dict(_labels)

        description = d.pop("description", UNSET)

        create_machine_request = cls(
            name=name,
            ip=ip,
            username=username,
            role=role,
            port=port,
            password=password,
            private_key=private_key,
            passphrase=passphrase,
            labels=labels,
            description=description,
        )

        create_machine_request.additional_properties = d
        return create_machine_request

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.update_machine_request_labels import UpdateMachineRequestLabels


T = TypeVar("T", bound="UpdateMachineRequest")


@_attrs_define
class UpdateMachineRequest:
    """Fields to change; absent fields stay. Changing `ip`, `port` or `username`,
    or `reset_host_key`, needs the credentials (`password` or `private_key`)
    again in the same request: stored credentials never go to a new
    destination. New credentials replace all stored ones.

        Attributes:
            name (str | Unset):
            ip (str | Unset):
            port (int | Unset):
            username (str | Unset):
            password (str | Unset):
            private_key (str | Unset):
            passphrase (str | Unset):
            role (str | Unset):
            labels (UpdateMachineRequestLabels | Unset):
            description (str | Unset):
            reset_host_key (bool | Unset): Forget the pinned host key; the next check pins the key it finds.
    """

    name: str | Unset = UNSET
    ip: str | Unset = UNSET
    port: int | Unset = UNSET
    username: str | Unset = UNSET
    password: str | Unset = UNSET
    private_key: str | Unset = UNSET
    passphrase: str | Unset = UNSET
    role: str | Unset = UNSET
    labels: UpdateMachineRequestLabels | Unset = UNSET
    description: str | Unset = UNSET
    reset_host_key: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        ip = self.ip

        port = self.port

        username = self.username

        password = self.password

        private_key = self.private_key

        passphrase = self.passphrase

        role = self.role

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        description = self.description

        reset_host_key = self.reset_host_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if ip is not UNSET:
            field_dict["ip"] = ip
        if port is not UNSET:
            field_dict["port"] = port
        if username is not UNSET:
            field_dict["username"] = username
        if password is not UNSET:
            field_dict["password"] = password
        if private_key is not UNSET:
            field_dict["private_key"] = private_key
        if passphrase is not UNSET:
            field_dict["passphrase"] = passphrase
        if role is not UNSET:
            field_dict["role"] = role
        if labels is not UNSET:
            field_dict["labels"] = labels
        if description is not UNSET:
            field_dict["description"] = description
        if reset_host_key is not UNSET:
            field_dict["reset_host_key"] = reset_host_key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.update_machine_request_labels import UpdateMachineRequestLabels  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name", UNSET)

        ip = d.pop("ip", UNSET)

        port = d.pop("port", UNSET)

        username = d.pop("username", UNSET)

        password = d.pop("password", UNSET)

        private_key = d.pop("private_key", UNSET)

        passphrase = d.pop("passphrase", UNSET)

        role = d.pop("role", UNSET)

        _labels = d.pop("labels", UNSET)
        labels: UpdateMachineRequestLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = UpdateMachineRequestLabels.from_dict(_labels)

        description = d.pop("description", UNSET)

        reset_host_key = d.pop("reset_host_key", UNSET)

        update_machine_request = cls(
            name=name,
            ip=ip,
            port=port,
            username=username,
            password=password,
            private_key=private_key,
            passphrase=passphrase,
            role=role,
            labels=labels,
            description=description,
            reset_host_key=reset_host_key,
        )

        update_machine_request.additional_properties = d
        return update_machine_request

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.etcd_member_body import EtcdMemberBody


T = TypeVar("T", bound="EtcdSettingsBody")


@_attrs_define
class EtcdSettingsBody:
    """etcd settings as a request gives them (the seed's field names). Paths are
    on the etcd hosts; every one must be absolute.

        Attributes:
            etcd_endpoints (str | Unset): Comma-separated client URLs, e.g. `https://10.0.0.1:2379,https://10.0.0.2:2379`.
            etcd_ca_cert (str | Unset):
            etcd_cert (str | Unset):
            etcd_key (str | Unset):
            etcd_data_dir (str | Unset): Default `/var/lib/etcd`.
            etcdctl_path (str | Unset): Default `/usr/local/bin/etcdctl`.
            etcdutl_path (str | Unset): Default: `etcdutl` beside etcdctl; without it, `etcdctl snapshot restore` (etcd
                3.4).
            ssh_username (str | Unset):
            ssh_password (str | Unset): Sealed at rest, never returned. On PUT: absent keeps the stored one, `""` clears it.
            ssh_port (int | Unset): Default 22.
            etcd_deployment_type (str | Unset): `standalone` (systemd, the default) or `kubeadm` (static pod).
            k8s_deployment_type (str | Unset): `kubeadm` (static pod, the default), `binary` (systemd) or `none`.
            manifests_dir (str | Unset): Default `/etc/kubernetes/manifests`.
            machine_ids (list[str] | Unset): Stored machines to log in with (their own credentials), instead of a password.
            members (list[EtcdMemberBody] | Unset): The members; when absent, a restore asks `etcdctl member list`.
    """

    etcd_endpoints: str | Unset = UNSET
    etcd_ca_cert: str | Unset = UNSET
    etcd_cert: str | Unset = UNSET
    etcd_key: str | Unset = UNSET
    etcd_data_dir: str | Unset = UNSET
    etcdctl_path: str | Unset = UNSET
    etcdutl_path: str | Unset = UNSET
    ssh_username: str | Unset = UNSET
    ssh_password: str | Unset = UNSET
    ssh_port: int | Unset = UNSET
    etcd_deployment_type: str | Unset = UNSET
    k8s_deployment_type: str | Unset = UNSET
    manifests_dir: str | Unset = UNSET
    machine_ids: list[str] | Unset = UNSET
    members: list[EtcdMemberBody] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        etcd_endpoints = self.etcd_endpoints

        etcd_ca_cert = self.etcd_ca_cert

        etcd_cert = self.etcd_cert

        etcd_key = self.etcd_key

        etcd_data_dir = self.etcd_data_dir

        etcdctl_path = self.etcdctl_path

        etcdutl_path = self.etcdutl_path

        ssh_username = self.ssh_username

        ssh_password = self.ssh_password

        ssh_port = self.ssh_port

        etcd_deployment_type = self.etcd_deployment_type

        k8s_deployment_type = self.k8s_deployment_type

        manifests_dir = self.manifests_dir

        machine_ids: list[str] | Unset = UNSET
        if not isinstance(self.machine_ids, Unset):
            machine_ids = self.machine_ids

        members: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.members, Unset):
            members = []
            for members_item_data in self.members:
                members_item = members_item_data.to_dict()
                members.append(members_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
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
        if etcdutl_path is not UNSET:
            field_dict["etcdutl_path"] = etcdutl_path
        if ssh_username is not UNSET:
            field_dict["ssh_username"] = ssh_username
        if ssh_password is not UNSET:
            field_dict["ssh_password"] = ssh_password
        if ssh_port is not UNSET:
            field_dict["ssh_port"] = ssh_port
        if etcd_deployment_type is not UNSET:
            field_dict["etcd_deployment_type"] = etcd_deployment_type
        if k8s_deployment_type is not UNSET:
            field_dict["k8s_deployment_type"] = k8s_deployment_type
        if manifests_dir is not UNSET:
            field_dict["manifests_dir"] = manifests_dir
        if machine_ids is not UNSET:
            field_dict["machine_ids"] = machine_ids
        if members is not UNSET:
            field_dict["members"] = members

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.etcd_member_body import EtcdMemberBody  # noqa: PLC0415

        d = dict(src_dict)
        etcd_endpoints = d.pop("etcd_endpoints", UNSET)

        etcd_ca_cert = d.pop("etcd_ca_cert", UNSET)

        etcd_cert = d.pop("etcd_cert", UNSET)

        etcd_key = d.pop("etcd_key", UNSET)

        etcd_data_dir = d.pop("etcd_data_dir", UNSET)

        etcdctl_path = d.pop("etcdctl_path", UNSET)

        etcdutl_path = d.pop("etcdutl_path", UNSET)

        ssh_username = d.pop("ssh_username", UNSET)

        ssh_password = d.pop("ssh_password", UNSET)

        ssh_port = d.pop("ssh_port", UNSET)

        etcd_deployment_type = d.pop("etcd_deployment_type", UNSET)

        k8s_deployment_type = d.pop("k8s_deployment_type", UNSET)

        manifests_dir = d.pop("manifests_dir", UNSET)

        machine_ids = cast(list[str], d.pop("machine_ids", UNSET))

        _members = d.pop("members", UNSET)
        members: list[EtcdMemberBody] | Unset = UNSET
        if _members is not UNSET:
            members = []
            for members_item_data in _members:
                members_item = EtcdMemberBody.from_dict(members_item_data)

                members.append(members_item)

        etcd_settings_body = cls(
            etcd_endpoints=etcd_endpoints,
            etcd_ca_cert=etcd_ca_cert,
            etcd_cert=etcd_cert,
            etcd_key=etcd_key,
            etcd_data_dir=etcd_data_dir,
            etcdctl_path=etcdctl_path,
            etcdutl_path=etcdutl_path,
            ssh_username=ssh_username,
            ssh_password=ssh_password,
            ssh_port=ssh_port,
            etcd_deployment_type=etcd_deployment_type,
            k8s_deployment_type=k8s_deployment_type,
            manifests_dir=manifests_dir,
            machine_ids=machine_ids,
            members=members,
        )

        etcd_settings_body.additional_properties = d
        return etcd_settings_body

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

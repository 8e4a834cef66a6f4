from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.etcd_member_view import EtcdMemberView
    from ..models.etcd_settings_view_host_keys import EtcdSettingsViewHostKeys


T = TypeVar("T", bound="EtcdSettingsView")


@_attrs_define
class EtcdSettingsView:
    """A cluster's etcd settings as the API shows them.

    Attributes:
        cluster_id (str):
        etcd_endpoints (str):
        etcd_data_dir (str):
        etcdctl_path (str):
        ssh_port (int):
        has_ssh_password (bool): Whether an SSH password is stored (it is never returned).
        etcd_deployment_type (str):
        k8s_deployment_type (str):
        manifests_dir (str):
        machine_ids (list[str]):
        members (list[EtcdMemberView]):
        host_keys (EtcdSettingsViewHostKeys): Host keys pinned on first contact, by host.
        updated_at (datetime.datetime):
        etcd_ca_cert (str | Unset):
        etcd_cert (str | Unset):
        etcd_key (str | Unset):
        etcdutl_path (str | Unset):
        ssh_username (str | Unset):
    """

    cluster_id: str
    etcd_endpoints: str
    etcd_data_dir: str
    etcdctl_path: str
    ssh_port: int
    has_ssh_password: bool
    etcd_deployment_type: str
    k8s_deployment_type: str
    manifests_dir: str
    machine_ids: list[str]
    members: list[EtcdMemberView]
    host_keys: EtcdSettingsViewHostKeys
    updated_at: datetime.datetime
    etcd_ca_cert: str | Unset = UNSET
    etcd_cert: str | Unset = UNSET
    etcd_key: str | Unset = UNSET
    etcdutl_path: str | Unset = UNSET
    ssh_username: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cluster_id = self.cluster_id

        etcd_endpoints = self.etcd_endpoints

        etcd_data_dir = self.etcd_data_dir

        etcdctl_path = self.etcdctl_path

        ssh_port = self.ssh_port

        has_ssh_password = self.has_ssh_password

        etcd_deployment_type = self.etcd_deployment_type

        k8s_deployment_type = self.k8s_deployment_type

        manifests_dir = self.manifests_dir

        machine_ids = self.machine_ids

        members = []
        for members_item_data in self.members:
            members_item = members_item_data.to_dict()
            members.append(members_item)

        host_keys = self.host_keys.to_dict()

        updated_at = self.updated_at.isoformat()

        etcd_ca_cert = self.etcd_ca_cert

        etcd_cert = self.etcd_cert

        etcd_key = self.etcd_key

        etcdutl_path = self.etcdutl_path

        ssh_username = self.ssh_username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cluster_id": cluster_id,
                "etcd_endpoints": etcd_endpoints,
                "etcd_data_dir": etcd_data_dir,
                "etcdctl_path": etcdctl_path,
                "ssh_port": ssh_port,
                "has_ssh_password": has_ssh_password,
                "etcd_deployment_type": etcd_deployment_type,
                "k8s_deployment_type": k8s_deployment_type,
                "manifests_dir": manifests_dir,
                "machine_ids": machine_ids,
                "members": members,
                "host_keys": host_keys,
                "updated_at": updated_at,
            }
        )
        if etcd_ca_cert is not UNSET:
            field_dict["etcd_ca_cert"] = etcd_ca_cert
        if etcd_cert is not UNSET:
            field_dict["etcd_cert"] = etcd_cert
        if etcd_key is not UNSET:
            field_dict["etcd_key"] = etcd_key
        if etcdutl_path is not UNSET:
            field_dict["etcdutl_path"] = etcdutl_path
        if ssh_username is not UNSET:
            field_dict["ssh_username"] = ssh_username

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.etcd_member_view import EtcdMemberView  # noqa: PLC0415
        from ..models.etcd_settings_view_host_keys import EtcdSettingsViewHostKeys  # noqa: PLC0415

        d = dict(src_dict)
        cluster_id = d.pop("cluster_id")

        etcd_endpoints = d.pop("etcd_endpoints")

        etcd_data_dir = d.pop("etcd_data_dir")

        etcdctl_path = d.pop("etcdctl_path")

        ssh_port = d.pop("ssh_port")

        has_ssh_password = d.pop("has_ssh_password")

        etcd_deployment_type = d.pop("etcd_deployment_type")

        k8s_deployment_type = d.pop("k8s_deployment_type")

        manifests_dir = d.pop("manifests_dir")

        machine_ids = cast(list[str], d.pop("machine_ids"))

        members = []
        _members = d.pop("members")
        for members_item_data in _members:
            members_item = EtcdMemberView.from_dict(members_item_data)

            members.append(members_item)

        host_keys = EtcdSettingsViewHostKeys.from_dict(d.pop("host_keys"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        etcd_ca_cert = d.pop("etcd_ca_cert", UNSET)

        etcd_cert = d.pop("etcd_cert", UNSET)

        etcd_key = d.pop("etcd_key", UNSET)

        etcdutl_path = d.pop("etcdutl_path", UNSET)

        ssh_username = d.pop("ssh_username", UNSET)

        etcd_settings_view = cls(
            cluster_id=cluster_id,
            etcd_endpoints=etcd_endpoints,
            etcd_data_dir=etcd_data_dir,
            etcdctl_path=etcdctl_path,
            ssh_port=ssh_port,
            has_ssh_password=has_ssh_password,
            etcd_deployment_type=etcd_deployment_type,
            k8s_deployment_type=k8s_deployment_type,
            manifests_dir=manifests_dir,
            machine_ids=machine_ids,
            members=members,
            host_keys=host_keys,
            updated_at=updated_at,
            etcd_ca_cert=etcd_ca_cert,
            etcd_cert=etcd_cert,
            etcd_key=etcd_key,
            etcdutl_path=etcdutl_path,
            ssh_username=ssh_username,
        )

        etcd_settings_view.additional_properties = d
        return etcd_settings_view

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

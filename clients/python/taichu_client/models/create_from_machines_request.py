from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateFromMachinesRequest")


@_attrs_define
class CreateFromMachinesRequest:
    """A cluster to create from registered machines.

    Attributes:
        cluster_name (str): 1-63 lower-case letters, digits and `-`.
        machine_ids (list[str]): Registered machines, `ready` and in no cluster: at least one with role
            `control-plane` (kubeadm init runs on the first; more need
            `control_plane_endpoint`), the others workers.
        kubernetes_version (str): e.g. `v1.30.4`.
        pod_cidr (str | Unset): Default `10.244.0.0/16`.
        service_cidr (str | Unset): Default `10.96.0.0/12`; must not overlap `pod_cidr`.
        cni (str | Unset): `calico` (default), `flannel` or `none`.
        cni_manifest (str | Unset): An `https://` URL or an inline YAML manifest instead of the plugin's default one.
        container_runtime_endpoint (str | Unset): Default `unix:///run/containerd/containerd.sock`.
        control_plane_endpoint (str | Unset): `host:port` in front of the control planes.
        image_repository (str | Unset):
        package_source (str | Unset): `preinstalled` (default: kubeadm, kubelet and kubectl are there at the
            requested version) or `apt` (installed from `apt_repository`).
        apt_repository (str | Unset):
    """

    cluster_name: str
    machine_ids: list[str]
    kubernetes_version: str
    pod_cidr: str | Unset = UNSET
    service_cidr: str | Unset = UNSET
    cni: str | Unset = UNSET
    cni_manifest: str | Unset = UNSET
    container_runtime_endpoint: str | Unset = UNSET
    control_plane_endpoint: str | Unset = UNSET
    image_repository: str | Unset = UNSET
    package_source: str | Unset = UNSET
    apt_repository: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cluster_name = self.cluster_name

        machine_ids = self.machine_ids

        kubernetes_version = self.kubernetes_version

        pod_cidr = self.pod_cidr

        service_cidr = self.service_cidr

        cni = self.cni

        cni_manifest = self.cni_manifest

        container_runtime_endpoint = self.container_runtime_endpoint

        control_plane_endpoint = self.control_plane_endpoint

        image_repository = self.image_repository

        package_source = self.package_source

        apt_repository = self.apt_repository

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cluster_name": cluster_name,
                "machine_ids": machine_ids,
                "kubernetes_version": kubernetes_version,
            }
        )
        if pod_cidr is not UNSET:
            field_dict["pod_cidr"] = pod_cidr
        if service_cidr is not UNSET:
            field_dict["service_cidr"] = service_cidr
        if cni is not UNSET:
            field_dict["cni"] = cni
        if cni_manifest is not UNSET:
            field_dict["cni_manifest"] = cni_manifest
        if container_runtime_endpoint is not UNSET:
            field_dict["container_runtime_endpoint"] = container_runtime_endpoint
        if control_plane_endpoint is not UNSET:
            field_dict["control_plane_endpoint"] = control_plane_endpoint
        if image_repository is not UNSET:
            field_dict["image_repository"] = image_repository
        if package_source is not UNSET:
            field_dict["package_source"] = package_source
        if apt_repository is not UNSET:
            field_dict["apt_repository"] = apt_repository

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cluster_name = d.pop("cluster_name")

        machine_ids = cast(list[str], d.pop("machine_ids"))

        kubernetes_version = d.pop("kubernetes_version")

        pod_cidr = d.pop("pod_cidr", UNSET)

        service_cidr = d.pop("service_cidr", UNSET)

        cni = d.pop("cni", UNSET)

        cni_manifest = d.pop("cni_manifest", UNSET)

        container_runtime_endpoint = d.pop("container_runtime_endpoint", UNSET)

        control_plane_endpoint = d.pop("control_plane_endpoint", UNSET)

        image_repository = d.pop("image_repository", UNSET)

        package_source = d.pop("package_source", UNSET)

        apt_repository = d.pop("apt_repository", UNSET)

        create_from_machines_request = cls(
            cluster_name=cluster_name,
            machine_ids=machine_ids,
            kubernetes_version=kubernetes_version,
            pod_cidr=pod_cidr,
            service_cidr=service_cidr,
            cni=cni,
            cni_manifest=cni_manifest,
            container_runtime_endpoint=container_runtime_endpoint,
            control_plane_endpoint=control_plane_endpoint,
            image_repository=image_repository,
            package_source=package_source,
            apt_repository=apt_repository,
        )

        create_from_machines_request.additional_properties = d
        return create_from_machines_request

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.scale_target import ScaleTarget


T = TypeVar("T", bound="AutoscalingPolicy")


@_attrs_define
class AutoscalingPolicy:
    """
    Attributes:
        name (str):
        type_ (str):
        namespace (str):
        target (ScaleTarget):
        max_replicas (int):
        metrics (list[Any]): As in autoscaling/v2, with snake_case keys.
        min_replicas (int | Unset):
    """

    name: str
    type_: str
    namespace: str
    target: ScaleTarget
    max_replicas: int
    metrics: list[Any]
    min_replicas: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        type_ = self.type_

        namespace = self.namespace

        target = self.target.to_dict()

        max_replicas = self.max_replicas

        metrics = self.metrics

        min_replicas = self.min_replicas

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "type": type_,
                "namespace": namespace,
                "target": target,
                "max_replicas": max_replicas,
                "metrics": metrics,
            }
        )
        if min_replicas is not UNSET:
            field_dict["min_replicas"] = min_replicas

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.scale_target import ScaleTarget  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        type_ = d.pop("type")

        namespace = d.pop("namespace")

        target = ScaleTarget.from_dict(d.pop("target"))

        max_replicas = d.pop("max_replicas")

        metrics = cast(list[Any], d.pop("metrics"))

        min_replicas = d.pop("min_replicas", UNSET)

        autoscaling_policy = cls(
            name=name,
            type_=type_,
            namespace=namespace,
            target=target,
            max_replicas=max_replicas,
            metrics=metrics,
            min_replicas=min_replicas,
        )

        autoscaling_policy.additional_properties = d
        return autoscaling_policy

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

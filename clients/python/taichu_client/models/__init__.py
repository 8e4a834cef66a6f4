"""Contains all the data models used in inputs/outputs"""

from .audit_log_list import AuditLogList
from .audit_log_view import AuditLogView
from .autoscaling_policy import AutoscalingPolicy
from .autoscaling_policy_list import AutoscalingPolicyList
from .backup_list import BackupList
from .backup_part_view import BackupPartView
from .backup_view import BackupView
from .backup_view_filters import BackupViewFilters
from .canary_request import CanaryRequest
from .change_password_request import ChangePasswordRequest
from .cluster_list import ClusterList
from .cluster_view import ClusterView
from .contents_view import ContentsView
from .control_plane_machine_request import ControlPlaneMachineRequest
from .create_audit_request import CreateAuditRequest
from .create_backup_request import CreateBackupRequest
from .create_cluster_request import CreateClusterRequest
from .create_from_machines_request import CreateFromMachinesRequest
from .create_machine_request import CreateMachineRequest
from .create_machine_request_labels import CreateMachineRequestLabels
from .create_task_detail import CreateTaskDetail
from .create_task_list import CreateTaskList
from .create_task_summary import CreateTaskSummary
from .created_machine import CreatedMachine
from .created_machine_labels import CreatedMachineLabels
from .envelope_audit_log_list import EnvelopeAuditLogList
from .envelope_audit_log_view import EnvelopeAuditLogView
from .envelope_autoscaling_policy_list import EnvelopeAutoscalingPolicyList
from .envelope_backup_list import EnvelopeBackupList
from .envelope_backup_view import EnvelopeBackupView
from .envelope_cluster_list import EnvelopeClusterList
from .envelope_cluster_view import EnvelopeClusterView
from .envelope_contents_view import EnvelopeContentsView
from .envelope_create_task_detail import EnvelopeCreateTaskDetail
from .envelope_create_task_list import EnvelopeCreateTaskList
from .envelope_created_machine import EnvelopeCreatedMachine
from .envelope_etcd_settings_view import EnvelopeEtcdSettingsView
from .envelope_event_list import EnvelopeEventList
from .envelope_expansion_history import EnvelopeExpansionHistory
from .envelope_expansion_view import EnvelopeExpansionView
from .envelope_import_list import EnvelopeImportList
from .envelope_import_status import EnvelopeImportStatus
from .envelope_import_view import EnvelopeImportView
from .envelope_list_schedule_view import EnvelopeListScheduleView
from .envelope_login_data import EnvelopeLoginData
from .envelope_machine_list import EnvelopeMachineList
from .envelope_machine_view import EnvelopeMachineView
from .envelope_message_data import EnvelopeMessageData
from .envelope_node_list import EnvelopeNodeList
from .envelope_node_view import EnvelopeNodeView
from .envelope_restore_view import EnvelopeRestoreView
from .envelope_run_detail import EnvelopeRunDetail
from .envelope_run_list import EnvelopeRunList
from .envelope_run_summary import EnvelopeRunSummary
from .envelope_schedule_view import EnvelopeScheduleView
from .envelope_security_policy_list import EnvelopeSecurityPolicyList
from .envelope_test_token_data import EnvelopeTestTokenData
from .envelope_topology import EnvelopeTopology
from .envelope_user_list import EnvelopeUserList
from .envelope_user_view import EnvelopeUserView
from .error_envelope import ErrorEnvelope
from .etcd_member_body import EtcdMemberBody
from .etcd_member_view import EtcdMemberView
from .etcd_settings_body import EtcdSettingsBody
from .etcd_settings_view import EtcdSettingsView
from .etcd_settings_view_host_keys import EtcdSettingsViewHostKeys
from .event_list import EventList
from .event_view import EventView
from .expansion_history import ExpansionHistory
from .expansion_request import ExpansionRequest
from .expansion_view import ExpansionView
from .firing_view import FiringView
from .host_step import HostStep
from .import_cluster_request import ImportClusterRequest
from .import_list import ImportList
from .import_status import ImportStatus
from .import_view import ImportView
from .kind_count_view import KindCountView
from .log_line import LogLine
from .login_data import LoginData
from .login_request import LoginRequest
from .machine_list import MachineList
from .machine_status_request import MachineStatusRequest
from .machine_view import MachineView
from .machine_view_labels import MachineViewLabels
from .message_data import MessageData
from .node_list import NodeList
from .node_list_summary import NodeListSummary
from .node_summary import NodeSummary
from .node_view import NodeView
from .node_view_labels import NodeViewLabels
from .object_ref_view import ObjectRefView
from .policy_rule import PolicyRule
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .resource_filters_body import ResourceFiltersBody
from .restore_kind_view import RestoreKindView
from .restore_request import RestoreRequest
from .restore_request_namespace_mappings import RestoreRequestNamespaceMappings
from .restore_view import RestoreView
from .role import Role
from .run_detail import RunDetail
from .run_host import RunHost
from .run_list import RunList
from .run_summary import RunSummary
from .scale_target import ScaleTarget
from .schedule_body import ScheduleBody
from .schedule_view import ScheduleView
from .security_policy import SecurityPolicy
from .security_policy_list import SecurityPolicyList
from .step_attempt_view import StepAttemptView
from .test_token_data import TestTokenData
from .token_user import TokenUser
from .topology import Topology
from .topology_cluster import TopologyCluster
from .update_machine_request import UpdateMachineRequest
from .update_machine_request_labels import UpdateMachineRequestLabels
from .update_user_request import UpdateUserRequest
from .user_list import UserList
from .user_view import UserView

__all__ = (
    "AuditLogList",
    "AuditLogView",
    "AutoscalingPolicy",
    "AutoscalingPolicyList",
    "BackupList",
    "BackupPartView",
    "BackupView",
    "BackupViewFilters",
    "CanaryRequest",
    "ChangePasswordRequest",
    "ClusterList",
    "ClusterView",
    "ContentsView",
    "ControlPlaneMachineRequest",
    "CreateAuditRequest",
    "CreateBackupRequest",
    "CreateClusterRequest",
    "CreatedMachine",
    "CreatedMachineLabels",
    "CreateFromMachinesRequest",
    "CreateMachineRequest",
    "CreateMachineRequestLabels",
    "CreateTaskDetail",
    "CreateTaskList",
    "CreateTaskSummary",
    "EnvelopeAuditLogList",
    "EnvelopeAuditLogView",
    "EnvelopeAutoscalingPolicyList",
    "EnvelopeBackupList",
    "EnvelopeBackupView",
    "EnvelopeClusterList",
    "EnvelopeClusterView",
    "EnvelopeContentsView",
    "EnvelopeCreatedMachine",
    "EnvelopeCreateTaskDetail",
    "EnvelopeCreateTaskList",
    "EnvelopeEtcdSettingsView",
    "EnvelopeEventList",
    "EnvelopeExpansionHistory",
    "EnvelopeExpansionView",
    "EnvelopeImportList",
    "EnvelopeImportStatus",
    "EnvelopeImportView",
    "EnvelopeListScheduleView",
    "EnvelopeLoginData",
    "EnvelopeMachineList",
    "EnvelopeMachineView",
    "EnvelopeMessageData",
    "EnvelopeNodeList",
    "EnvelopeNodeView",
    "EnvelopeRestoreView",
    "EnvelopeRunDetail",
    "EnvelopeRunList",
    "EnvelopeRunSummary",
    "EnvelopeScheduleView",
    "EnvelopeSecurityPolicyList",
    "EnvelopeTestTokenData",
    "EnvelopeTopology",
    "EnvelopeUserList",
    "EnvelopeUserView",
    "ErrorEnvelope",
    "EtcdMemberBody",
    "EtcdMemberView",
    "EtcdSettingsBody",
    "EtcdSettingsView",
    "EtcdSettingsViewHostKeys",
    "EventList",
    "EventView",
    "ExpansionHistory",
    "ExpansionRequest",
    "ExpansionView",
    "FiringView",
    "HostStep",
    "ImportClusterRequest",
    "ImportList",
    "ImportStatus",
    "ImportView",
    "KindCountView",
    "LoginData",
    "LoginRequest",
    "LogLine",
    "MachineList",
    "MachineStatusRequest",
    "MachineView",
    "MachineViewLabels",
    "MessageData",
    "NodeList",
    "NodeListSummary",
    "NodeSummary",
    "NodeView",
    "NodeViewLabels",
    "ObjectRefView",
    "PolicyRule",
    "RefreshRequest",
    "RegisterRequest",
    "ResourceFiltersBody",
    "RestoreKindView",
    "RestoreRequest",
    "RestoreRequestNamespaceMappings",
    "RestoreView",
    "Role",
    "RunDetail",
    "RunHost",
    "RunList",
    "RunSummary",
    "ScaleTarget",
    "ScheduleBody",
    "ScheduleView",
    "SecurityPolicy",
    "SecurityPolicyList",
    "StepAttemptView",
    "TestTokenData",
    "TokenUser",
    "Topology",
    "TopologyCluster",
    "UpdateMachineRequest",
    "UpdateMachineRequestLabels",
    "UpdateUserRequest",
    "UserList",
    "UserView",
)

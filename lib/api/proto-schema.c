/* SPDX-License-Identifier: MIT */
/*
 * The protobuf schema knet reads: for each message, only the fields the
 * object models (lib/objects) use, with the field numbers of the
 * published Kubernetes schema (k8s.io/api core/v1, apimachinery meta/v1
 * and runtime) and the names the same fields have in the API's JSON.
 * The reader turns them into the JSON tree the JSON path would have
 * parsed, so the models have a single parser for both encodings.
 *
 * A field knet starts to read must be added here too, or the protobuf
 * path silently lacks it: tests/api.bats compares both encodings.
 */
#include <stddef.h>
#include <string.h>

#include "proto-internal.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MSG(var, name, fields)                                                 \
	static const struct knet_pf_msg var = {name, fields, N(fields)}
/* clang-format off */
#define S(num, json) {num, KNET_PF_STRING, false, json, NULL}
#define I(num, json) {num, KNET_PF_INT, false, json, NULL}
#define B(num, json) {num, KNET_PF_BOOL, false, json, NULL}
#define T(num, json) {num, KNET_PF_TIME, false, json, NULL}
#define MAP(num, json) {num, KNET_PF_MAP, false, json, NULL}
#define M(num, json, m) {num, KNET_PF_MSG, false, json, &m}
#define RM(num, json, m) {num, KNET_PF_MSG, true, json, &m}
#define RS(num, json) {num, KNET_PF_STRING, true, json, NULL}
#define IS(num, json) {num, KNET_PF_INTSTR, false, json, NULL}
/* clang-format on */

/* --- meta/v1 --- */

static const struct knet_pf_field owner_f[] = {
	S(1, "kind"),
	S(3, "name"),
	B(6, "controller"),
};
MSG(owner, "OwnerReference", owner_f);

static const struct knet_pf_field object_meta_f[] = {
	S(1, "name"),
	S(3, "namespace"),
	S(5, "uid"),
	S(6, "resourceVersion"),
	T(8, "creationTimestamp"),
	T(9, "deletionTimestamp"),
	MAP(11, "labels"),
	RM(13, "ownerReferences", owner),
};
MSG(object_meta, "ObjectMeta", object_meta_f);

static const struct knet_pf_field list_meta_f[] = {
	S(2, "resourceVersion"),
	S(3, "continue"),
};
MSG(list_meta, "ListMeta", list_meta_f);

static const struct knet_pf_field status_f[] = {
	M(1, "metadata", list_meta),
	S(2, "status"),
	S(3, "message"),
	S(4, "reason"),
	I(6, "code"),
};
MSG(status, "Status", status_f);

/* --- core/v1 Pod --- */

static const struct knet_pf_field container_port_f[] = {
	S(1, "name"),
	I(2, "hostPort"),
	I(3, "containerPort"),
	S(4, "protocol"),
};
MSG(container_port, "ContainerPort", container_port_f);

static const struct knet_pf_field container_f[] = {
	S(1, "name"),
	RM(6, "ports", container_port),
};
MSG(container, "Container", container_f);

static const struct knet_pf_field pod_spec_f[] = {
	RM(2, "containers", container),
	S(8, "serviceAccountName"),
	S(10, "nodeName"),
	B(11, "hostNetwork"),
	RM(20, "initContainers", container),
};
MSG(pod_spec, "PodSpec", pod_spec_f);

static const struct knet_pf_field waiting_f[] = {
	S(1, "reason"),
};
MSG(waiting, "ContainerStateWaiting", waiting_f);

/* Only its presence matters: an empty object. */
static const struct knet_pf_field running_f[] = {
	T(1, "startedAt"),
};
MSG(running, "ContainerStateRunning", running_f);

static const struct knet_pf_field terminated_f[] = {
	I(1, "exitCode"),
	I(2, "signal"),
	S(3, "reason"),
};
MSG(terminated, "ContainerStateTerminated", terminated_f);

static const struct knet_pf_field state_f[] = {
	M(1, "waiting", waiting),
	M(2, "running", running),
	M(3, "terminated", terminated),
};
MSG(state, "ContainerState", state_f);

static const struct knet_pf_field container_status_f[] = {
	S(1, "name"),	      M(2, "state", state), B(4, "ready"),
	I(5, "restartCount"), S(8, "containerID"),
};
MSG(container_status, "ContainerStatus", container_status_f);

static const struct knet_pf_field pod_condition_f[] = {
	S(1, "type"),
	S(2, "status"),
};
MSG(pod_condition, "PodCondition", pod_condition_f);

static const struct knet_pf_field pod_ip_f[] = {
	S(1, "ip"),
};
MSG(pod_ip, "PodIP", pod_ip_f);

static const struct knet_pf_field pod_status_f[] = {
	S(1, "phase"),
	RM(2, "conditions", pod_condition),
	S(4, "reason"),
	S(5, "hostIP"),
	S(6, "podIP"),
	RM(8, "containerStatuses", container_status),
	RM(10, "initContainerStatuses", container_status),
	RM(12, "podIPs", pod_ip),
};
MSG(pod_status, "PodStatus", pod_status_f);

static const struct knet_pf_field pod_f[] = {
	M(1, "metadata", object_meta),
	M(2, "spec", pod_spec),
	M(3, "status", pod_status),
};
MSG(pod, "Pod", pod_f);

static const struct knet_pf_field pod_list_f[] = {
	M(1, "metadata", list_meta),
	RM(2, "items", pod),
};
MSG(pod_list, "PodList", pod_list_f);

/* --- core/v1 Service --- */

static const struct knet_pf_field service_port_f[] = {
	S(1, "name"),	     S(2, "protocol"), I(3, "port"),
	IS(4, "targetPort"), I(5, "nodePort"), S(6, "appProtocol"),
};
MSG(service_port, "ServicePort", service_port_f);

static const struct knet_pf_field service_spec_f[] = {
	RM(1, "ports", service_port),
	MAP(2, "selector"),
	S(3, "clusterIP"),
	S(4, "type"),
	RS(5, "externalIPs"),
	S(7, "sessionAffinity"),
	S(10, "externalName"),
	S(11, "externalTrafficPolicy"),
	RS(18, "clusterIPs"),
};
MSG(service_spec, "ServiceSpec", service_spec_f);

static const struct knet_pf_field lb_ingress_f[] = {
	S(1, "ip"),
	S(2, "hostname"),
};
MSG(lb_ingress, "LoadBalancerIngress", lb_ingress_f);

static const struct knet_pf_field lb_status_f[] = {
	RM(1, "ingress", lb_ingress),
};
MSG(lb_status, "LoadBalancerStatus", lb_status_f);

static const struct knet_pf_field service_status_f[] = {
	M(1, "loadBalancer", lb_status),
};
MSG(service_status, "ServiceStatus", service_status_f);

static const struct knet_pf_field service_f[] = {
	M(1, "metadata", object_meta),
	M(2, "spec", service_spec),
	M(3, "status", service_status),
};
MSG(service, "Service", service_f);

static const struct knet_pf_field service_list_f[] = {
	M(1, "metadata", list_meta),
	RM(2, "items", service),
};
MSG(service_list, "ServiceList", service_list_f);

/* --- core/v1 Node --- */

static const struct knet_pf_field node_spec_f[] = {
	S(1, "podCIDR"),
	B(4, "unschedulable"),
	RS(7, "podCIDRs"),
};
MSG(node_spec, "NodeSpec", node_spec_f);

static const struct knet_pf_field node_condition_f[] = {
	S(1, "type"),
	S(2, "status"),
	S(5, "reason"),
};
MSG(node_condition, "NodeCondition", node_condition_f);

static const struct knet_pf_field node_address_f[] = {
	S(1, "type"),
	S(2, "address"),
};
MSG(node_address, "NodeAddress", node_address_f);

static const struct knet_pf_field node_info_f[] = {
	S(7, "kubeletVersion"),
};
MSG(node_info, "NodeSystemInfo", node_info_f);

static const struct knet_pf_field node_status_f[] = {
	RM(4, "conditions", node_condition),
	RM(5, "addresses", node_address),
	M(7, "nodeInfo", node_info),
};
MSG(node_status, "NodeStatus", node_status_f);

static const struct knet_pf_field node_f[] = {
	M(1, "metadata", object_meta),
	M(2, "spec", node_spec),
	M(3, "status", node_status),
};
MSG(node, "Node", node_f);

static const struct knet_pf_field node_list_f[] = {
	M(1, "metadata", list_meta),
	RM(2, "items", node),
};
MSG(node_list, "NodeList", node_list_f);

/* --- core/v1 Namespace: its metadata is all the model reads --- */

static const struct knet_pf_field namespace_f[] = {
	M(1, "metadata", object_meta),
};
MSG(namespace, "Namespace", namespace_f);

static const struct knet_pf_field namespace_list_f[] = {
	M(1, "metadata", list_meta),
	RM(2, "items", namespace),
};
MSG(namespace_list, "NamespaceList", namespace_list_f);

/* --- the kinds and the resources that return them --- */

static const struct {
	const char *kind;
	const struct knet_pf_msg *msg;
} kinds[] = {
	{"Pod", &pod},
	{"PodList", &pod_list},
	{"Service", &service},
	{"ServiceList", &service_list},
	{"Node", &node},
	{"NodeList", &node_list},
	{"Namespace", &namespace},
	{"NamespaceList", &namespace_list},
	{"Status", &status},
};

static const char *const resources[] = {
	"pods",
	"services",
	"nodes",
	"namespaces",
};

const struct knet_pf_msg *knet_pf_kind(const char *kind)
{
	for (int i = 0; i < N(kinds); i++)
		if (!strcmp(kinds[i].kind, kind))
			return kinds[i].msg;
	return NULL;
}

bool knet_pf_resource(const char *resource)
{
	for (int i = 0; i < N(resources); i++)
		if (!strcmp(resources[i], resource))
			return true;
	return false;
}

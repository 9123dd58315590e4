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

/* A kind of metadata, spec and status, and the list of a kind. */
#define OBJECT(var, name, spec, status)                                        \
	static const struct knet_pf_field var##_f[] = {                        \
		M(1, "metadata", object_meta),                                 \
		M(2, "spec", spec),                                            \
		M(3, "status", status),                                        \
	};                                                                     \
	MSG(var, name, var##_f)
#define LIST(var, name, item)                                                  \
	static const struct knet_pf_field var##_f[] = {                        \
		M(1, "metadata", list_meta),                                   \
		RM(2, "items", item),                                          \
	};                                                                     \
	MSG(var, name, var##_f)

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

OBJECT(pod, "Pod", pod_spec, pod_status);

LIST(pod_list, "PodList", pod);

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

OBJECT(service, "Service", service_spec, service_status);

LIST(service_list, "ServiceList", service);

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

OBJECT(node, "Node", node_spec, node_status);

LIST(node_list, "NodeList", node);

/* --- core/v1 Namespace: its metadata is all the model reads --- */

static const struct knet_pf_field namespace_f[] = {
	M(1, "metadata", object_meta),
};
MSG(namespace, "Namespace", namespace_f);

LIST(namespace_list, "NamespaceList", namespace);

/* --- core/v1 Endpoints --- */

static const struct knet_pf_field object_ref_f[] = {
	S(1, "kind"),
	S(2, "namespace"),
	S(3, "name"),
};
MSG(object_ref, "ObjectReference", object_ref_f);

static const struct knet_pf_field ep_address_f[] = {
	S(1, "ip"),
	M(2, "targetRef", object_ref),
	S(3, "hostname"),
	S(4, "nodeName"),
};
MSG(ep_address, "EndpointAddress", ep_address_f);

static const struct knet_pf_field ep_port_f[] = {
	S(1, "name"),
	I(2, "port"),
	S(3, "protocol"),
};
MSG(ep_port, "EndpointPort", ep_port_f);

static const struct knet_pf_field ep_subset_f[] = {
	RM(1, "addresses", ep_address),
	RM(2, "notReadyAddresses", ep_address),
	RM(3, "ports", ep_port),
};
MSG(ep_subset, "EndpointSubset", ep_subset_f);

static const struct knet_pf_field endpoints_f[] = {
	M(1, "metadata", object_meta),
	RM(2, "subsets", ep_subset),
};
MSG(endpoints, "Endpoints", endpoints_f);

LIST(endpoints_list, "EndpointsList", endpoints);

/*
 * --- discovery.k8s.io EndpointSlice: v1beta1 has field 5 as
 * "topology", v1 as "deprecatedTopology" (which knet does not read) ---
 */

static const struct knet_pf_field slice_conditions_f[] = {
	B(1, "ready"),
	B(2, "serving"),
	B(3, "terminating"),
};
MSG(slice_conditions, "EndpointConditions", slice_conditions_f);

static const struct knet_pf_field slice_ep_v1_f[] = {
	RS(1, "addresses"), M(2, "conditions", slice_conditions),
	S(3, "hostname"),   M(4, "targetRef", object_ref),
	S(6, "nodeName"),
};
MSG(slice_ep_v1, "Endpoint", slice_ep_v1_f);

static const struct knet_pf_field slice_ep_beta_f[] = {
	RS(1, "addresses"), M(2, "conditions", slice_conditions),
	S(3, "hostname"),   M(4, "targetRef", object_ref),
	MAP(5, "topology"), S(6, "nodeName"),
};
MSG(slice_ep_beta, "Endpoint", slice_ep_beta_f);

static const struct knet_pf_field slice_port_f[] = {
	S(1, "name"),
	S(2, "protocol"),
	I(3, "port"),
};
MSG(slice_port, "EndpointPort", slice_port_f);

static const struct knet_pf_field slice_v1_f[] = {
	M(1, "metadata", object_meta),
	RM(2, "endpoints", slice_ep_v1),
	RM(3, "ports", slice_port),
	S(4, "addressType"),
};
MSG(slice_v1, "EndpointSlice", slice_v1_f);

static const struct knet_pf_field slice_beta_f[] = {
	M(1, "metadata", object_meta),
	RM(2, "endpoints", slice_ep_beta),
	RM(3, "ports", slice_port),
	S(4, "addressType"),
};
MSG(slice_beta, "EndpointSlice", slice_beta_f);

LIST(slice_list_v1, "EndpointSliceList", slice_v1);

LIST(slice_list_beta, "EndpointSliceList", slice_beta);

/* --- the kinds and the resources that return them --- */

/* By kind, and by group version where the same kind differs. */
static const struct {
	const char *kind;
	const char *api_version; /* NULL: any */
	const struct knet_pf_msg *msg;
} kinds[] = {
	{"Pod", NULL, &pod},
	{"PodList", NULL, &pod_list},
	{"Service", NULL, &service},
	{"ServiceList", NULL, &service_list},
	{"Node", NULL, &node},
	{"NodeList", NULL, &node_list},
	{"Namespace", NULL, &namespace},
	{"NamespaceList", NULL, &namespace_list},
	{"Endpoints", NULL, &endpoints},
	{"EndpointsList", NULL, &endpoints_list},
	{"EndpointSlice", "discovery.k8s.io/v1", &slice_v1},
	{"EndpointSliceList", "discovery.k8s.io/v1", &slice_list_v1},
	{"EndpointSlice", "discovery.k8s.io/v1beta1", &slice_beta},
	{"EndpointSliceList", "discovery.k8s.io/v1beta1", &slice_list_beta},
	{"Status", NULL, &status},
};

static const char *const resources[] = {
	"pods",	      "services",  "nodes",
	"namespaces", "endpoints", "endpointslices",
};

const struct knet_pf_msg *knet_pf_kind(const char *kind,
				       const char *api_version)
{
	for (int i = 0; i < N(kinds); i++)
		if (!strcmp(kinds[i].kind, kind) &&
		    (!kinds[i].api_version ||
		     (api_version &&
		      !strcmp(kinds[i].api_version, api_version))))
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

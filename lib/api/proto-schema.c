/* SPDX-License-Identifier: MIT */
/*
 * The protobuf schema knet reads: for each message, only the fields the
 * object models (lib/objects) use, with the field numbers of the
 * published Kubernetes schema (k8s.io/api core/v1, discovery/v1,
 * networking/v1, apimachinery meta/v1 and runtime) and the names the
 * same fields have in the API's JSON.  The reader turns them into the
 * JSON tree the JSON path would have parsed, so the models have a
 * single parser for both encodings.
 *
 * A field knet starts to read must be added here too, or the protobuf
 * path silently lacks it: tests/api.bats and tests/proto-netpol.bats
 * compare both encodings.
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
/* A message whose fields the JSON has inline (Go's embedded struct). */
#define INLINE(num, m) {num, KNET_PF_MSG, false, NULL, &m}
/* clang-format on */

/* A message: its fields, in a table. */
#define MESSAGE(var, name, ...)                                                \
	static const struct knet_pf_field var##_f[] = {__VA_ARGS__};           \
	MSG(var, name, var##_f)
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

MESSAGE(owner, "OwnerReference", S(1, "kind"), S(3, "name"),
	B(6, "controller"));

#define OBJECT_META_FIELDS                                                     \
	S(1, "name"), S(3, "namespace"), S(5, "uid"), S(6, "resourceVersion"), \
		T(8, "creationTimestamp"), T(9, "deletionTimestamp"),          \
		MAP(11, "labels"), RM(13, "ownerReferences", owner)
/* No annotations: a production pod's are most of its bytes. */
MESSAGE(object_meta, "ObjectMeta", OBJECT_META_FIELDS);
/* With them, for the Ingress class annotation. */
MESSAGE(object_meta_annotated, "ObjectMeta", OBJECT_META_FIELDS,
	MAP(12, "annotations"));

/* meta.v1.TypeMeta {apiVersion = 1, kind = 2}, of the envelope. */
static const struct knet_pf_field type_meta_f[] = {S(1, "apiVersion"),
						   S(2, "kind")};
const struct knet_pf_msg knet_pf_type_meta = {"TypeMeta", type_meta_f, 2};
MESSAGE(list_meta, "ListMeta", S(2, "resourceVersion"), S(3, "continue"));

MESSAGE(status, "Status", M(1, "metadata", list_meta), S(2, "status"),
	S(3, "message"), S(4, "reason"), I(6, "code"));

/* --- core/v1 Pod --- */

MESSAGE(container_port, "ContainerPort", S(1, "name"), I(2, "hostPort"),
	I(3, "containerPort"), S(4, "protocol"));

MESSAGE(container, "Container", S(1, "name"), RM(6, "ports", container_port));

MESSAGE(pod_spec, "PodSpec", RM(2, "containers", container),
	S(8, "serviceAccountName"), S(10, "nodeName"), B(11, "hostNetwork"),
	RM(20, "initContainers", container));

MESSAGE(waiting, "ContainerStateWaiting", S(1, "reason"));

/* Only its presence matters: an empty object. */
MESSAGE(running, "ContainerStateRunning", T(1, "startedAt"));

MESSAGE(terminated, "ContainerStateTerminated", I(1, "exitCode"),
	I(2, "signal"), S(3, "reason"));

MESSAGE(state, "ContainerState", M(1, "waiting", waiting),
	M(2, "running", running), M(3, "terminated", terminated));

MESSAGE(container_status, "ContainerStatus", S(1, "name"), M(2, "state", state),
	B(4, "ready"), I(5, "restartCount"), S(8, "containerID"));

MESSAGE(pod_condition, "PodCondition", S(1, "type"), S(2, "status"));

MESSAGE(pod_ip, "PodIP", S(1, "ip"));

MESSAGE(pod_status, "PodStatus", S(1, "phase"),
	RM(2, "conditions", pod_condition), S(4, "reason"), S(5, "hostIP"),
	S(6, "podIP"), RM(8, "containerStatuses", container_status),
	RM(10, "initContainerStatuses", container_status),
	RM(12, "podIPs", pod_ip));

OBJECT(pod, "Pod", pod_spec, pod_status);

LIST(pod_list, "PodList", pod);

/* --- core/v1 Service --- */

MESSAGE(service_port, "ServicePort", S(1, "name"), S(2, "protocol"),
	I(3, "port"), IS(4, "targetPort"), I(5, "nodePort"),
	S(6, "appProtocol"));

MESSAGE(service_spec, "ServiceSpec", RM(1, "ports", service_port),
	MAP(2, "selector"), S(3, "clusterIP"), S(4, "type"),
	RS(5, "externalIPs"), S(7, "sessionAffinity"), S(10, "externalName"),
	S(11, "externalTrafficPolicy"), RS(18, "clusterIPs"));

MESSAGE(lb_ingress, "LoadBalancerIngress", S(1, "ip"), S(2, "hostname"));

MESSAGE(lb_status, "LoadBalancerStatus", RM(1, "ingress", lb_ingress));

MESSAGE(service_status, "ServiceStatus", M(1, "loadBalancer", lb_status));

OBJECT(service, "Service", service_spec, service_status);

LIST(service_list, "ServiceList", service);

/* --- core/v1 Node --- */

MESSAGE(node_spec, "NodeSpec", S(1, "podCIDR"), B(4, "unschedulable"),
	RS(7, "podCIDRs"));

MESSAGE(node_condition, "NodeCondition", S(1, "type"), S(2, "status"),
	S(5, "reason"));

MESSAGE(node_address, "NodeAddress", S(1, "type"), S(2, "address"));

MESSAGE(node_info, "NodeSystemInfo", S(7, "kubeletVersion"));

MESSAGE(node_status, "NodeStatus", RM(4, "conditions", node_condition),
	RM(5, "addresses", node_address), M(7, "nodeInfo", node_info));

OBJECT(node, "Node", node_spec, node_status);

LIST(node_list, "NodeList", node);

/* --- core/v1 Namespace: its metadata is all the model reads --- */

MESSAGE(namespace, "Namespace", M(1, "metadata", object_meta));

LIST(namespace_list, "NamespaceList", namespace);

/* --- core/v1 Endpoints --- */

MESSAGE(object_ref, "ObjectReference", S(1, "kind"), S(2, "namespace"),
	S(3, "name"));

MESSAGE(ep_address, "EndpointAddress", S(1, "ip"),
	M(2, "targetRef", object_ref), S(3, "hostname"), S(4, "nodeName"));

MESSAGE(ep_port, "EndpointPort", S(1, "name"), I(2, "port"), S(3, "protocol"));

MESSAGE(ep_subset, "EndpointSubset", RM(1, "addresses", ep_address),
	RM(2, "notReadyAddresses", ep_address), RM(3, "ports", ep_port));

MESSAGE(endpoints, "Endpoints", M(1, "metadata", object_meta),
	RM(2, "subsets", ep_subset));

LIST(endpoints_list, "EndpointsList", endpoints);

/*
 * --- discovery.k8s.io EndpointSlice: v1beta1 has field 5 as
 * "topology", v1 as "deprecatedTopology" (which knet does not read) ---
 */

MESSAGE(slice_conditions, "EndpointConditions", B(1, "ready"), B(2, "serving"),
	B(3, "terminating"));

MESSAGE(slice_ep_v1, "Endpoint", RS(1, "addresses"),
	M(2, "conditions", slice_conditions), S(3, "hostname"),
	M(4, "targetRef", object_ref), S(6, "nodeName"));

MESSAGE(slice_ep_beta, "Endpoint", RS(1, "addresses"),
	M(2, "conditions", slice_conditions), S(3, "hostname"),
	M(4, "targetRef", object_ref), MAP(5, "topology"), S(6, "nodeName"));

MESSAGE(slice_port, "EndpointPort", S(1, "name"), S(2, "protocol"),
	I(3, "port"));

/* An EndpointSlice and its list, of each version's Endpoint. */
#define SLICE(sfx)                                                             \
	MESSAGE(slice_##sfx, "EndpointSlice", M(1, "metadata", object_meta),   \
		RM(2, "endpoints", slice_ep_##sfx),                            \
		RM(3, "ports", slice_port), S(4, "addressType"));              \
	LIST(slice_list_##sfx, "EndpointSliceList", slice_##sfx)
SLICE(v1);
SLICE(beta);

/*
 * --- networking.k8s.io Ingress: v1 has backend.service {name, port
 * {name, number}} and defaultBackend, v1beta1 (and extensions/v1beta1)
 * backend {serviceName, servicePort} and backend ---
 */

MESSAGE(typed_ref, "TypedLocalObjectReference", S(2, "kind"), S(3, "name"));
MESSAGE(backend_port, "ServiceBackendPort", S(1, "name"), I(2, "number"));
MESSAGE(backend_service, "IngressServiceBackend", S(1, "name"),
	M(2, "port", backend_port));
MESSAGE(backend_v1, "IngressBackend", M(3, "resource", typed_ref),
	M(4, "service", backend_service));
MESSAGE(backend_beta, "IngressBackend", S(1, "serviceName"),
	IS(2, "servicePort"), M(3, "resource", typed_ref));

MESSAGE(ingress_tls, "IngressTLS", RS(1, "hosts"), S(2, "secretName"));
MESSAGE(ingress_status, "IngressStatus", M(1, "loadBalancer", lb_status));

/* The rest of an Ingress, of each version's backend (@def: its name for
 * the default backend). */
#define INGRESS(sfx, def)                                                      \
	MESSAGE(http_path_##sfx, "HTTPIngressPath", S(1, "path"),              \
		M(2, "backend", backend_##sfx), S(3, "pathType"));             \
	MESSAGE(http_rule_##sfx, "HTTPIngressRuleValue",                       \
		RM(1, "paths", http_path_##sfx));                              \
	MESSAGE(rule_value_##sfx, "IngressRuleValue",                          \
		M(1, "http", http_rule_##sfx));                                \
	MESSAGE(rule_##sfx, "IngressRule", S(1, "host"),                       \
		INLINE(2, rule_value_##sfx));                                  \
	MESSAGE(ingress_spec_##sfx, "IngressSpec", M(1, def, backend_##sfx),   \
		RM(2, "tls", ingress_tls), RM(3, "rules", rule_##sfx),         \
		S(4, "ingressClassName"));                                     \
	MESSAGE(ingress_##sfx, "Ingress",                                      \
		M(1, "metadata", object_meta_annotated),                       \
		M(2, "spec", ingress_spec_##sfx),                              \
		M(3, "status", ingress_status));                               \
	LIST(ingress_list_##sfx, "IngressList", ingress_##sfx)
INGRESS(v1, "defaultBackend");
INGRESS(beta, "backend");

/*
 * --- networking.k8s.io/v1 NetworkPolicy: the policy code reads all of
 * its spec, so every field of it is here (meta/v1 LabelSelector
 * included). A pointer field set to an empty message (a peer's
 * podSelector: {}) is written with length 0, so it is there as {} the
 * way the JSON has it; a rule of no fields ({}, allow all) likewise. ---
 */

MESSAGE(selector_req, "LabelSelectorRequirement", S(1, "key"), S(2, "operator"),
	RS(3, "values"));
MESSAGE(label_selector, "LabelSelector", MAP(1, "matchLabels"),
	RM(2, "matchExpressions", selector_req));

MESSAGE(ip_block, "IPBlock", S(1, "cidr"), RS(2, "except"));
MESSAGE(np_peer, "NetworkPolicyPeer", M(1, "podSelector", label_selector),
	M(2, "namespaceSelector", label_selector), M(3, "ipBlock", ip_block));
MESSAGE(np_port, "NetworkPolicyPort", S(1, "protocol"), IS(2, "port"),
	I(3, "endPort"));
MESSAGE(np_ingress, "NetworkPolicyIngressRule", RM(1, "ports", np_port),
	RM(2, "from", np_peer));
MESSAGE(np_egress, "NetworkPolicyEgressRule", RM(1, "ports", np_port),
	RM(2, "to", np_peer));
MESSAGE(np_spec, "NetworkPolicySpec", M(1, "podSelector", label_selector),
	RM(2, "ingress", np_ingress), RM(3, "egress", np_egress),
	RS(4, "policyTypes"));
MESSAGE(netpol, "NetworkPolicy", M(1, "metadata", object_meta),
	M(2, "spec", np_spec));
LIST(netpol_list, "NetworkPolicyList", netpol);

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
	{"Ingress", "networking.k8s.io/v1", &ingress_v1},
	{"IngressList", "networking.k8s.io/v1", &ingress_list_v1},
	{"Ingress", "networking.k8s.io/v1beta1", &ingress_beta},
	{"IngressList", "networking.k8s.io/v1beta1", &ingress_list_beta},
	{"Ingress", "extensions/v1beta1", &ingress_beta},
	{"IngressList", "extensions/v1beta1", &ingress_list_beta},
	{"NetworkPolicy", "networking.k8s.io/v1", &netpol},
	{"NetworkPolicyList", "networking.k8s.io/v1", &netpol_list},
	{"Status", NULL, &status},
};

static const char *const resources[] = {
	"pods",	     "services",       "nodes",	    "namespaces",
	"endpoints", "endpointslices", "ingresses", "networkpolicies",
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

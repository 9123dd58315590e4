#!/usr/bin/python3
"""bench/prod-pods.py NS N | NS --delete: namespace NS holds N
production-shaped pods (two containers, an init container, probes, env,
volumes, resources, labels, a last-applied annotation, an owner
reference, and a full status patched in: conditions, container statuses
with last states, pod IPs), about 15 KB of JSON each, in five status
shapes (running, crash-looping, initialising, completed, not ready).

The pods are bound to node "bench-absent", which is not a lab node: the
lab kubelet leaves them alone (it only sets up pods of its own nodes) and
the lab's controller manager runs no pod GC.  Their owner is a ConfigMap
of the namespace, so the garbage collector finds it alive.  --delete
removes the namespace.  Talks to the lab's apiserver with its admin
token, as tests/lab/scale.py does (one HTTPS request per call here)."""
import json, os, ssl, sys, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor

LAB = os.environ['KNET_LAB_DIR']
CFG = json.load(open(os.path.join(LAB, 'lab.json')))
BASE = 'https://%s:%s' % (CFG['api_host'], CFG['api_port'])
HEADERS = {'Authorization': 'Bearer ' + open(
    os.path.join(LAB, 'tokens', 'admin')).read().strip()}
TLS = ssl.create_default_context(cafile=os.path.join(LAB, 'pki', 'ca.crt'))
NODE = 'bench-absent'


def call(method, path, body=None, ctype='application/json'):
    """(status, parsed body); 429, 5xx and dropped connections are tried
    again, up to six times in all."""
    req = urllib.request.Request(
        BASE + path, method=method, headers=dict(HEADERS),
        data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header('Content-Type', ctype)
    for attempt in range(1, 7):
        try:
            with urllib.request.urlopen(req, context=TLS, timeout=60) as r:
                return r.status, json.loads(r.read() or b'{}')
        except urllib.error.HTTPError as e:
            if e.code != 429 and e.code < 500:
                return e.code, json.loads(e.read() or b'{}')
        except OSError:
            pass
        time.sleep(0.3 * attempt)
    raise RuntimeError('%s %s failed' % (method, path))


def until(pred, tries, pause):
    for _ in range(tries):
        if pred():
            return
        time.sleep(pause)


def now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def container(name, image, port):
    env = [{'name': 'VAR_%02d' % k, 'value': 'value-%d-%s' % (k, 'x' * 20)}
           for k in range(8)]
    env.append({'name': 'POD_IP', 'valueFrom': {'fieldRef': {
        'apiVersion': 'v1', 'fieldPath': 'status.podIP'}}})
    return {
        'name': name, 'image': image,
        'args': ['--port=%d' % port, '--log-level=info', '--config=/etc/app/app.yaml'],
        'ports': [{'name': 'http', 'containerPort': port, 'protocol': 'TCP'},
                  {'name': 'metrics', 'containerPort': port + 1000, 'protocol': 'TCP'}],
        'env': env,
        'resources': {'requests': {'cpu': '100m', 'memory': '128Mi'},
                      'limits': {'cpu': '500m', 'memory': '512Mi'}},
        'volumeMounts': [{'name': 'config', 'mountPath': '/etc/app'},
                         {'name': 'cache', 'mountPath': '/cache'},
                         {'name': 'secret', 'mountPath': '/etc/secret', 'readOnly': True}],
        'livenessProbe': {'httpGet': {'path': '/healthz', 'port': port, 'scheme': 'HTTP'},
                          'initialDelaySeconds': 10, 'periodSeconds': 10,
                          'timeoutSeconds': 1, 'successThreshold': 1, 'failureThreshold': 3},
        'readinessProbe': {'tcpSocket': {'port': port}, 'periodSeconds': 5,
                           'timeoutSeconds': 1, 'successThreshold': 1, 'failureThreshold': 3},
        'imagePullPolicy': 'IfNotPresent',
        'securityContext': {'runAsNonRoot': True, 'runAsUser': 1000,
                            'allowPrivilegeEscalation': False,
                            'capabilities': {'drop': ['ALL']}},
    }


def spec():
    return {
        'nodeName': NODE,
        'serviceAccountName': 'default',
        'initContainers': [{'name': 'init-config', 'image': 'busybox:1.36',
                            'command': ['sh', '-c', 'cp /src/* /etc/app/'],
                            'volumeMounts': [{'name': 'config', 'mountPath': '/etc/app'}]}],
        'containers': [container('app', 'registry.example/app:1.2.3', 8080),
                       container('sidecar', 'registry.example/proxy:2.0.1', 9090)],
        'volumes': [{'name': 'config', 'configMap': {'name': 'app-config'}},
                    {'name': 'cache', 'emptyDir': {}},
                    {'name': 'secret', 'secret': {'secretName': 'app-secret'}}],
        'tolerations': [{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists',
                         'effect': 'NoExecute', 'tolerationSeconds': 300}],
        'terminationGracePeriodSeconds': 30,
    }


def cstatus(name, i, shape, t):
    st = {'name': name, 'image': 'registry.example/%s:1' % name,
          'imageID': 'registry.example/%s@sha256:%064x' % (name, i),
          'containerID': 'containerd://%064x' % (i * 2 + (name == 'app')),
          'ready': shape == 'running', 'started': shape != 'init',
          'restartCount': 7 if shape == 'crash' else 1,
          'lastState': {'terminated': {'exitCode': 137, 'reason': 'OOMKilled',
                                       'startedAt': t, 'finishedAt': t,
                                       'containerID': 'containerd://%064x' % i}}}
    if shape == 'crash' and name == 'app':
        st['state'] = {'waiting': {'reason': 'CrashLoopBackOff',
                                   'message': 'back-off 5m0s restarting failed container'}}
    elif shape == 'done':
        st['state'] = {'terminated': {'exitCode': 0, 'reason': 'Completed',
                                      'startedAt': t, 'finishedAt': t}}
    elif shape == 'init':
        st['state'] = {'waiting': {'reason': 'PodInitializing'}}
    else:
        st['state'] = {'running': {'startedAt': t}}
    return st


def status(i, t):
    shape = ['running', 'running', 'crash', 'init', 'done', 'notready'][i % 6]
    ip = '198.19.%d.%d' % (200 + i // 250, 1 + i % 250)
    ready = 'True' if shape == 'running' else 'False'
    conds = [{'type': k, 'status': v, 'lastProbeTime': None, 'lastTransitionTime': t}
             for k, v in (('Initialized', 'False' if shape == 'init' else 'True'),
                          ('Ready', ready), ('ContainersReady', ready),
                          ('PodScheduled', 'True'))]
    init = {'name': 'init-config', 'image': 'busybox:1.36', 'imageID': '',
            'ready': shape != 'init', 'restartCount': 0,
            'state': {'running': {'startedAt': t}} if shape == 'init' else
            {'terminated': {'exitCode': 0, 'reason': 'Completed',
                            'startedAt': t, 'finishedAt': t}}}
    return {'phase': 'Succeeded' if shape == 'done' else
            'Pending' if shape == 'init' else 'Running',
            'hostIP': '198.18.0.99', 'podIP': ip, 'podIPs': [{'ip': ip}],
            'startTime': t, 'qosClass': 'Burstable', 'conditions': conds,
            'initContainerStatuses': [init],
            'containerStatuses': [cstatus('app', i, shape, t),
                                  cstatus('sidecar', i, 'running' if shape == 'crash' else shape, t)]}


def create(ns, i, owner_uid):
    name = 'prod-%05d' % i
    s = spec()
    labels = {'app': 'prod', 'tier': 'backend', 'version': 'v1.2.3',
              'team': 'payments', 'pod-template-hash': '5d8f9c7b6%d' % (i % 10)}
    applied = {'apiVersion': 'v1', 'kind': 'Pod',
               'metadata': {'name': name, 'namespace': ns, 'labels': labels}, 'spec': s}
    body = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {
        'name': name, 'namespace': ns, 'labels': labels,
        'annotations': {
            'kubectl.kubernetes.io/last-applied-configuration': json.dumps(applied),
            'prometheus.io/scrape': 'true', 'prometheus.io/port': '9080'},
        'ownerReferences': [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'name': 'owner',
                             'uid': owner_uid, 'controller': True,
                             'blockOwnerDeletion': False}]},
        'spec': s}
    code, j = call('POST', '/api/v1/namespaces/%s/pods' % ns, body)
    if code == 409:
        return
    if code != 201:
        raise RuntimeError('create %s: %s %s' % (name, code, j.get('message')))
    code, j = call('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (ns, name),
                  {'status': status(i, now())}, 'application/merge-patch+json')
    if code != 200:
        raise RuntimeError('status %s: %s %s' % (name, code, j.get('message')))


def terminating(ns):
    code, j = call('GET', '/api/v1/namespaces/' + ns)
    return code == 200 and j.get('status', {}).get('phase') == 'Terminating'


def main():
    ns = sys.argv[1]
    if sys.argv[2] == '--delete':
        code, _ = call('DELETE', '/api/v1/namespaces/%s/pods?gracePeriodSeconds=0' % ns)
        code, _ = call('DELETE', '/api/v1/namespaces/' + ns)
        sys.exit(0 if code in (200, 202, 404) else 1)
    n = int(sys.argv[2])
    # A namespace still being deleted takes no pods; ServiceAccount
    # admission needs the new one's default account.
    until(lambda: not terminating(ns), 240, 0.5)
    call('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace',
                                        'metadata': {'name': ns}})
    until(lambda: call('GET', '/api/v1/namespaces/%s/serviceaccounts/default'
                       % ns)[0] == 200, 100, 0.2)
    call('POST', '/api/v1/namespaces/%s/configmaps' % ns,
        {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'owner'}})
    code, cm = call('GET', '/api/v1/namespaces/%s/configmaps/owner' % ns)
    with ThreadPoolExecutor(max_workers=16) as ex:
        for f in [ex.submit(create, ns, i, cm['metadata']['uid'])
                  for i in range(1, n + 1)]:
            f.result()


main()

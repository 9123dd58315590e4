#!/usr/bin/python3
"""knet lab kubelet: stands in for kubelet + CNI + scheduler + DNS sync.

Runs in the root network namespace and talks to the API through the root
forwarder (https://127.0.0.1:6443, admin token). Configuration comes from
$KNET_LAB_DIR/lab.json (written by `lab up`). Per pod state lives in
$KNET_LAB_DIR/pods/<ns>_<name>_<uid>/state.json.

Loop (every ~0.5 s): register/heartbeat Nodes; list pods (namespace `scale`
is ignored); bind unscheduled pods; set up new pods (netns cni-<uuid>, veth
on the node's cni0, process in its own mount+UTS namespace and kubelet-shaped
cgroups); probe readiness from the node netns; patch pod status; tear down
and finalise deleted pods; regenerate the dnsmasq hosts file from Services.
"""
import ctypes, datetime, glob, hashlib, http.client, json, os, shutil, signal
import socket, ssl, subprocess, sys, threading, time, traceback, uuid
from concurrent.futures import ThreadPoolExecutor

S = os.environ['KNET_LAB_DIR']
LAB = os.path.dirname(os.path.abspath(__file__))
CFG = json.load(open(os.path.join(S, 'lab.json')))
NODES = {n['name']: n for n in CFG['nodes']}
TOKEN = open(os.path.join(S, 'tokens', 'admin')).read().strip()
CA = os.path.join(S, 'pki', 'ca.crt')
PODS_DIR = os.path.join(S, 'pods')
CG_HIER = CFG['cgroup_hierarchies']      # e.g. ["pids", "systemd", "memory", "cpu"]
IGNORE_NS = set(CFG.get('ignore_namespaces', ['scale']))
READY_ANN = 'knet-lab/ready'
# Pods of image knet-agent:* run their own command; argv[0] knet or
# /usr/bin/knet becomes the knet under test (this symlink; `lab agent-knet`).
AGENT_IMAGE = 'knet-agent:'
AGENT_KNET = os.path.join(S, 'agent-knet')
KNET_ARGV0 = ('knet', '/usr/bin/knet')
node_objs = {}          # name -> Node object (labels, taints) for scheduling

state_lock = threading.Lock()
probe_results = {}      # uid -> (bool, time)
pods_by_uid = {}        # uid -> (pod, state) for probe threads
inflight = set()
procs = {}              # uid -> Popen
last_patch = {}         # uid -> json of last patched status core
unschedulable = {}      # uid -> time last logged
gone_since = {}         # uid -> when an agent pod's process was found ended
# `lab node-pause NAME` makes $KNET_LAB_DIR/paused/NAME: that node's
# kubelet is as if stopped (no lease, no status, its pods left alone),
# so the controller-manager's node lifecycle controller marks it
# NotReady, as on a real cluster; `lab node-resume NAME` removes it.
PAUSED_DIR = os.path.join(S, 'paused')
LEASE_NS = 'kube-node-lease'
LEASE_EVERY = 2.0       # s; `lab node-pause` gives the kcm a 10 s grace
log_lock = threading.Lock()


def paused_nodes():
    try:
        return set(os.listdir(PAUSED_DIR)) & set(NODES)
    except OSError:
        return set()


def log(*a):
    with log_lock:
        print(time.strftime('%H:%M:%S'), *a, flush=True)


def now():
    return datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')

# ---------------------------------------------------------------- API client
_tl = threading.local()
_ctx = ssl.create_default_context(cafile=CA)


def api(method, path, body=None, ctype='application/json', ok=(200, 201, 202)):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(3):
        c = getattr(_tl, 'conn', None)
        if c is None:
            c = http.client.HTTPSConnection(CFG['api_host'], CFG['api_port'], context=_ctx, timeout=30)
            _tl.conn = c
        try:
            h = {'Authorization': 'Bearer ' + TOKEN, 'Accept': 'application/json'}
            if data is not None:
                h['Content-Type'] = ctype
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
            try:
                j = json.loads(raw) if raw else {}
            except ValueError:
                j = {'raw': raw.decode(errors='replace')}
            return r.status, j
        except (OSError, http.client.HTTPException):
            try:
                c.close()
            except Exception:
                pass
            _tl.conn = None
            if attempt == 2:
                raise
            time.sleep(0.2)

# ---------------------------------------------------------------- helpers


def run(*cmd, check=True):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise RuntimeError('%s: %s' % (' '.join(cmd), p.stderr.strip()))
    return p


def proc_starttime(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        fields = s[s.rindex(')') + 2:].split()
        if fields[0] == 'Z':
            return None
        return fields[19]
    except (OSError, ValueError, IndexError):
        return None


def alive(st):
    pid = st.get('pid')
    if not pid:
        return False
    p = procs.get(st['uid'])
    if p is not None and p.pid == pid:
        if p.poll() is not None:
            return False
    return proc_starttime(pid) == st.get('starttime')


def save_state(st):
    d = st['dir']
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, 'state.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(st, f, indent=1)
    os.rename(tmp, os.path.join(d, 'state.json'))


def load_states():
    out = {}
    for f in glob.glob(os.path.join(PODS_DIR, '*', 'state.json')):
        try:
            st = json.load(open(f))
            out[st['uid']] = st
        except Exception:
            pass
    return out


def cgroup_dirs(st):
    return [os.path.join('/sys/fs/cgroup', h, st['cgroup_parent'], 'pod' + st['uid'], st['cid'])
            for h in CG_HIER]

# ---------------------------------------------------------------- nodes


def node_annotations(n):
    if CFG.get('overlay') != 'vxlan':
        return {}
    idx = int(n['cidr'].split('.')[2])
    return {'flannel.alpha.coreos.com/backend-type': 'vxlan',
            'flannel.alpha.coreos.com/backend-data': json.dumps({'VNI': 1, 'VtepMAC': '0a:58:c6:13:%02x:00' % idx}),
            'flannel.alpha.coreos.com/public-ip': n['ip'],
            'flannel.alpha.coreos.com/kube-subnet-manager': 'true'}


def ensure_nodes(paused=frozenset()):
    for n in CFG['nodes']:
        name = n['name']
        if name in paused:
            continue            # a stopped kubelet posts nothing
        code, j = api('GET', '/api/v1/nodes/' + name)
        if code == 404:
            body = {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': name, 'labels': {
                'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
                'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
                'beta.kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/worker': '',
                'knet-lab/netns': 'lab-' + name}, 'annotations': node_annotations(n)},
                'spec': {'podCIDR': n['cidr'], 'podCIDRs': [n['cidr']]}}
            code, j = api('POST', '/api/v1/nodes', body)
            if code not in (200, 201, 409):
                log('create node', name, code, j.get('message'))
                continue
        t = now()
        cond = lambda typ, st, reason, msg: {'type': typ, 'status': st, 'lastHeartbeatTime': t,
                                             'lastTransitionTime': CFG['started'], 'reason': reason, 'message': msg}
        status = {'status': {
            'addresses': [{'type': 'InternalIP', 'address': n['ip']}, {'type': 'Hostname', 'address': name}],
            'conditions': [
                cond('NetworkUnavailable', 'False', 'RouteCreated', 'lab host-gw routes'),
                cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'ok'),
                cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'ok'),
                cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'ok'),
                cond('Ready', 'True', 'KubeletReady', 'knet lab kubelet is posting ready status')],
            'capacity': {'cpu': '2', 'memory': '4Gi', 'pods': '110', 'ephemeral-storage': '20Gi'},
            'allocatable': {'cpu': '2', 'memory': '4Gi', 'pods': '110', 'ephemeral-storage': '20Gi'},
            'daemonEndpoints': {'kubeletEndpoint': {'Port': 10250}},
            'nodeInfo': {'machineID': hashlib.md5(name.encode()).hexdigest(),
                         'systemUUID': str(uuid.uuid5(uuid.NAMESPACE_DNS, name + '.knet-lab')),
                         'bootID': CFG['boot_id'], 'kernelVersion': os.uname().release,
                         'osImage': 'knet lab (Debian)', 'containerRuntimeVersion': 'lab://1.0',
                         'kubeletVersion': CFG['kube_version'], 'kubeProxyVersion': CFG['kube_version'],
                         'operatingSystem': 'linux', 'architecture': 'amd64'}}}
        code, j = api('PATCH', '/api/v1/nodes/%s/status' % name, status, 'application/merge-patch+json')
        if code != 200:
            log('patch node status', name, code, j.get('message'))
        else:
            node_objs[name] = j

def micro_now():
    return datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def renew_lease(name):
    path = '/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s' % (LEASE_NS, name)
    code, j = api('PATCH', path, {'spec': {'renewTime': micro_now()}},
                  'application/merge-patch+json', ok=(200, 404))
    if code != 404:
        return code
    md = {'name': name, 'namespace': LEASE_NS}
    uid = (node_objs.get(name) or {}).get('metadata', {}).get('uid')
    if uid:
        md['ownerReferences'] = [{'apiVersion': 'v1', 'kind': 'Node', 'name': name, 'uid': uid}]
    code, j = api('POST', '/apis/coordination.k8s.io/v1/namespaces/%s/leases' % LEASE_NS,
                  {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': md,
                   'spec': {'holderIdentity': name, 'leaseDurationSeconds': 40,
                            'renewTime': micro_now()}}, ok=(201, 409))
    return code


def lease_loop():
    """The node leases, renewed as a kubelet does (every 10 s there,
    LEASE_EVERY here so that the lab's node lifecycle controller can
    tell a paused node in seconds), in a thread of their own so that a
    busy sync loop never looks like a dead node."""
    while True:
        t = time.time()
        paused = paused_nodes()
        for name in NODES:
            if name in paused or name not in node_objs:
                continue        # registered first: the lease's owner
            try:
                code = renew_lease(name)
                if code not in (200, 201, 409):
                    log('lease', name, code)
            except Exception as e:
                log('lease', name, 'error:', e)
        time.sleep(max(0.1, LEASE_EVERY - (time.time() - t)))

# ---------------------------------------------------------------- scheduling


def match_expr(e, value, present):
    op, vals = e.get('operator'), e.get('values') or []
    if op == 'In':
        return present and value in vals
    if op == 'NotIn':
        return not present or value not in vals
    if op == 'Exists':
        return present
    if op == 'DoesNotExist':
        return not present
    return False


def node_fits(pod, name):
    """nodeSelector, required node affinity (DaemonSet pods carry
    matchFields metadata.name) and NoSchedule/NoExecute taints."""
    spec = pod['spec']
    node = node_objs.get(name) or {'metadata': {'name': name, 'labels': {'kubernetes.io/hostname': name}}}
    labels = node['metadata'].get('labels') or {}
    for k, v in (spec.get('nodeSelector') or {}).items():
        if labels.get(k) != v:
            return False
    req = (((spec.get('affinity') or {}).get('nodeAffinity') or {})
           .get('requiredDuringSchedulingIgnoredDuringExecution') or {})
    terms = req.get('nodeSelectorTerms') or []
    if terms:
        def term_ok(t):
            for e in t.get('matchExpressions') or []:
                if not match_expr(e, labels.get(e['key']), e['key'] in labels):
                    return False
            for e in t.get('matchFields') or []:
                if e['key'] != 'metadata.name' or not match_expr(e, name, True):
                    return False
            return bool(t.get('matchExpressions') or t.get('matchFields'))
        if not any(term_ok(t) for t in terms):
            return False
    tols = spec.get('tolerations') or []
    for t in (node.get('spec') or {}).get('taints') or []:
        if t.get('effect') not in ('NoSchedule', 'NoExecute'):
            continue
        def tolerates(tl):
            if tl.get('effect') and tl['effect'] != t['effect']:
                return False
            if not tl.get('key'):
                return tl.get('operator') == 'Exists'
            if tl['key'] != t['key']:
                return False
            return tl.get('operator') == 'Exists' or tl.get('value', '') == t.get('value', '')
        if not any(tolerates(tl) for tl in tols):
            return False
    return True


def choose_node(pod, pods):
    labels = pod['metadata'].get('labels', {})
    key = labels.get('app') or labels.get('pod-template-hash')
    counts = {}
    for n in NODES:
        if not node_fits(pod, n):
            continue
        same = sum(1 for p in pods if p['spec'].get('nodeName') == n and key and
                   p['metadata'].get('namespace') == pod['metadata']['namespace'] and
                   (p['metadata'].get('labels', {}).get('app') or p['metadata'].get('labels', {}).get('pod-template-hash')) == key)
        total = sum(1 for p in pods if p['spec'].get('nodeName') == n)
        counts[n] = (same, total, n)
    if not counts:
        return None
    return min(counts.values())[2]


def bind(pod, node):
    md = pod['metadata']
    if node is None:
        if time.time() - unschedulable.get(md['uid'], 0) > 30:
            unschedulable[md['uid']] = time.time()
            log('no node fits', md['namespace'] + '/' + md['name'])
        return
    body = {'apiVersion': 'v1', 'kind': 'Binding', 'metadata': {'name': md['name'], 'uid': md['uid']},
            'target': {'apiVersion': 'v1', 'kind': 'Node', 'name': node}}
    code, j = api('POST', '/api/v1/namespaces/%s/pods/%s/binding' % (md['namespace'], md['name']), body)
    if code not in (200, 201):
        log('bind', md['namespace'], md['name'], code, j.get('message'))
    else:
        log('bound', md['namespace'] + '/' + md['name'], 'to', node)
        pod['spec']['nodeName'] = node

# ---------------------------------------------------------------- pod setup


def alloc_ip(node, states):
    n = NODES[node]
    used = {st['ip'] for st in states.values() if st.get('node') == node and not st.get('host_network')}
    base = n['cidr'].split('/')[0].rsplit('.', 1)[0]
    for i in range(2, 255):
        ip = '%s.%d' % (base, i)
        if ip not in used:
            return ip
    raise RuntimeError('no free IP on ' + node)


def pod_ports(pod):
    http, tcp, udp = [], [], []
    for c in pod['spec'].get('containers', []):
        for p in c.get('ports', []) or []:
            port = p['containerPort']
            proto = p.get('protocol', 'TCP')
            if proto == 'UDP':
                udp.append(port)
            elif port in (80, 8080, 8000) or (p.get('name') or '').startswith('http'):
                http.append(port)
            else:
                tcp.append(port)
    return http, tcp, udp


def is_agent(pod):
    return pod['spec']['containers'][0].get('image', '').startswith(AGENT_IMAGE)


def agent_argv(c):
    """The container's command line (command + args, as the runtime joins
    them); no command: the image's entrypoint is unknown here, so sleep."""
    argv = list(c.get('command') or []) + list(c.get('args') or [])
    if not argv:
        argv = ['/bin/sleep', 'infinity']
    if argv[0] in KNET_ARGV0:
        argv[0] = AGENT_KNET
    return argv


def qos_parent(pod):
    res = [c.get('resources') or {} for c in pod['spec'].get('containers', [])]
    if any(r.get('requests') or r.get('limits') for r in res):
        return 'kubepods/burstable'
    return 'kubepods/besteffort'


def setup_pod(pod):
    md = pod['metadata']
    uid, ns, name = md['uid'], md['namespace'], md['name']
    node = pod['spec']['nodeName']
    n = NODES[node]
    with state_lock:
        states = load_states()
        if uid in states:
            return
        hostnet = bool(pod['spec'].get('hostNetwork'))
        # hostNetwork: the node's address and netns. netns and veth stay
        # empty so that nothing (this kubelet, an older one, `lab down`)
        # ever deletes the node netns as if it were the pod's.
        ip = n['ip'] if hostnet else alloc_ip(node, states)
        c0 = pod['spec']['containers'][0]['name']
        st = {'uid': uid, 'namespace': ns, 'name': name, 'node': node, 'node_netns': 'lab-' + node,
              'ip': ip, 'netns': '' if hostnet else 'cni-' + str(uuid.uuid4()),
              'veth': '' if hostnet else 'veth' + hashlib.sha1(uid.encode()).hexdigest()[:8],
              'host_network': hostnet, 'kind': 'agent' if is_agent(pod) else 'podserver',
              'cid': hashlib.sha256((uid + '/' + c0).encode()).hexdigest(),
              'container': c0, 'containers': [c['name'] for c in pod['spec']['containers']],
              'cgroup_parent': qos_parent(pod),
              'dir': os.path.join(PODS_DIR, '%s_%s_%s' % (ns, name, uid)),
              'created': now(), 'restarts': 0, 'pid': None, 'starttime': None,
              'ready': False, 'ready_since': now()}
        st['netns_path'] = '/var/run/netns/' + (st['node_netns'] if hostnet else st['netns'])
        save_state(st)
    if st['host_network']:
        setup_host_pod(st, pod)
        return
    nn, pn = st['node_netns'], st['netns']
    run('ip', 'netns', 'add', pn)
    run('ip', '-n', nn, 'link', 'add', st['veth'], 'mtu', '1500', 'type', 'veth',
        'peer', 'name', 'eth0', 'mtu', '1500', 'netns', pn)
    run('ip', '-n', nn, 'link', 'set', st['veth'], 'master', 'cni0', 'up')
    run('ip', '-n', pn, 'link', 'set', 'lo', 'up')
    run('ip', '-n', pn, 'addr', 'add', ip + '/24', 'dev', 'eth0')
    run('ip', '-n', pn, 'link', 'set', 'eth0', 'up')
    run('ip', '-n', pn, 'route', 'add', 'default', 'via', n['gw'])
    for d in cgroup_dirs(st):
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(st['dir'], 'resolv.conf'), 'w') as f:
        f.write('nameserver %s\nsearch %s.svc.%s svc.%s %s\noptions ndots:5\n' % (
            CFG['dns_ip'], ns, CFG['domain'], CFG['domain'], CFG['domain']))
    start_process(st, pod)
    log('pod up', ns + '/' + name, 'node', node, 'ip', ip, 'netns', pn, 'pid', st['pid'])


def setup_host_pod(st, pod):
    for d in cgroup_dirs(st):
        os.makedirs(d, exist_ok=True)
    # ClusterFirstWithHostNet gets the cluster DNS; otherwise a hostNetwork
    # pod keeps the host's resolv.conf (what a kubelet does).
    if pod['spec'].get('dnsPolicy') == 'ClusterFirstWithHostNet':
        with open(os.path.join(st['dir'], 'resolv.conf'), 'w') as f:
            f.write('nameserver %s\nsearch %s.svc.%s svc.%s %s\noptions ndots:5\n' % (
                CFG['dns_ip'], st['namespace'], CFG['domain'], CFG['domain'], CFG['domain']))
    start_process(st, pod)
    log('pod up', st['namespace'] + '/' + st['name'], 'node', st['node'], 'hostNetwork ip', st['ip'],
        'pid', st['pid'])


def container_cmd(st, pod):
    """What pod-start.sh execs: podserver.py serving the declared ports,
    or an agent pod's own command (with its plain env values)."""
    if st.get('kind') == 'agent':
        c = pod['spec']['containers'][0]
        env = ['%s=%s' % (e['name'], e.get('value', '')) for e in c.get('env') or []
               if 'valueFrom' not in e]
        return ['/usr/bin/env'] + env + agent_argv(c)
    http, tcp, udp = pod_ports(pod)
    cmd = ['/usr/bin/python3', os.path.join(LAB, 'podserver.py'),
           '--name', st['name'], '--namespace', st['namespace'], '--ip', st['ip'], '--node', st['node'],
           '--ready-file', os.path.join(st['dir'], 'listening')]
    for p in http:
        cmd += ['--http', str(p)]
    for p in tcp:
        cmd += ['--tcp', str(p)]
    for p in udp:
        cmd += ['--udp', str(p)]
    return cmd


def start_process(st, pod):
    rf = os.path.join(st['dir'], 'listening')
    pf = os.path.join(st['dir'], 'pid')
    for f in (rf, pf):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
    resolv = os.path.join(st['dir'], 'resolv.conf')
    if not os.path.exists(resolv):
        resolv = '-'
    # a hostNetwork pod shares the node's netns and hostname, but still gets
    # its own mount namespace, as a container does
    host = st['node'] if st.get('host_network') else st['name']
    cmd = ['nsenter', '--net=' + st['netns_path'], '--', 'unshare', '-m', '-u', '--propagation', 'private',
           '--', '/bin/sh', os.path.join(LAB, 'pod-start.sh'), pf, resolv,
           host] + cgroup_dirs(st) + ['--'] + container_cmd(st, pod)
    logf = open(os.path.join(st['dir'], 'container.log'), 'ab')
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                         start_new_session=True, close_fds=True)
    logf.close()
    procs[st['uid']] = p
    st['pid'] = p.pid
    for _ in range(50):
        stt = proc_starttime(p.pid)
        if stt:
            break
        time.sleep(0.01)
    st['starttime'] = proc_starttime(p.pid)
    st['started'] = now()
    save_state(st)


def kill_pid(pid, starttime):
    if not pid or proc_starttime(pid) != starttime:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(40):
        if proc_starttime(pid) != starttime:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def teardown(st):
    uid = st['uid']
    kill_pid(st.get('pid'), st.get('starttime'))
    p = procs.pop(uid, None)
    if p is not None:
        try:
            p.wait(timeout=2)
        except Exception:
            pass
    for d in cgroup_dirs(st):
        try:
            for line in open(os.path.join(d, 'cgroup.procs')).read().split():
                try:
                    os.kill(int(line), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        except OSError:
            pass
    time.sleep(0.05)
    for d in cgroup_dirs(st):
        for x in (d, os.path.dirname(d)):
            for _ in range(20):
                try:
                    os.rmdir(x)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
    if not st.get('host_network') and st.get('netns', '').startswith('cni-'):
        run('ip', '-n', st['node_netns'], 'link', 'del', st['veth'], check=False)
        run('ip', 'netns', 'del', st['netns'], check=False)
    shutil.rmtree(st['dir'], ignore_errors=True)
    probe_results.pop(uid, None)
    last_patch.pop(uid, None)
    log('pod down', st['namespace'] + '/' + st['name'], st['netns'])

# ---------------------------------------------------------------- readiness


libc = ctypes.CDLL('libc.so.6', use_errno=True)
CLONE_NEWNET = 0x40000000


def probe_loop(node):
    """One thread per node: enters the node netns (this thread only) and
    runs readiness probes against pod IPs, as the kubelet does."""
    fd = os.open('/var/run/netns/lab-' + node, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        log('setns failed for', node, ctypes.get_errno())
        return
    os.close(fd)
    while True:
        items = [(u, p, st) for u, (p, st) in list(pods_by_uid.items()) if st.get('node') == node]
        if node in paused_nodes():
            items = []
        for uid, pod, st in items:
            probe = None
            for c in pod['spec'].get('containers', []):
                if c.get('readinessProbe'):
                    probe = c['readinessProbe']
                    break
            if probe is None:
                continue
            okv = False
            try:
                if 'tcpSocket' in probe:
                    port = resolve_port(pod, probe['tcpSocket']['port'])
                    s = socket.create_connection((st['ip'], port), timeout=1)
                    s.close()
                    okv = True
                elif 'httpGet' in probe:
                    port = resolve_port(pod, probe['httpGet']['port'])
                    c = http.client.HTTPConnection(st['ip'], port, timeout=1)
                    c.request('GET', probe['httpGet'].get('path', '/'))
                    r = c.getresponse()
                    r.read()
                    c.close()
                    okv = 200 <= r.status < 400
                elif 'exec' in probe:
                    okv = True
            except Exception:
                okv = False
            probe_results[uid] = (okv, time.time())
        time.sleep(1)


def resolve_port(pod, port):
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for c in pod['spec'].get('containers', []):
        for p in c.get('ports', []) or []:
            if p.get('name') == port:
                return p['containerPort']
    raise ValueError('no port ' + str(port))


def has_probe(pod):
    return any(c.get('readinessProbe') for c in pod['spec'].get('containers', []))


def compute_ready(pod, st):
    ann = (pod['metadata'].get('annotations') or {}).get(READY_ANN)
    if ann == 'false':
        return False
    if ann == 'true':
        return True
    if not alive(st):
        return False
    if st.get('kind') == 'agent':
        return True     # no ports: Ready while the process runs
    if not os.path.exists(os.path.join(st['dir'], 'listening')):
        return False
    if has_probe(pod):
        r = probe_results.get(st['uid'])
        return bool(r and r[0])
    return True


def pod_status(pod, st, ready):
    rs = 'True' if ready else 'False'
    t0 = st.get('created')
    conds = [
        {'type': 'Initialized', 'status': 'True', 'lastProbeTime': None, 'lastTransitionTime': t0},
        {'type': 'Ready', 'status': rs, 'lastProbeTime': None, 'lastTransitionTime': st['ready_since']},
        {'type': 'ContainersReady', 'status': rs, 'lastProbeTime': None, 'lastTransitionTime': st['ready_since']},
        {'type': 'PodScheduled', 'status': 'True', 'lastProbeTime': None, 'lastTransitionTime': t0}]
    if not ready:
        for c in conds[1:3]:
            c['reason'] = 'ContainersNotReady'
            c['message'] = 'containers with unready status: [%s]' % st['container']
    cs = []
    for c in pod['spec']['containers']:
        cid = hashlib.sha256((st['uid'] + '/' + c['name']).encode()).hexdigest()
        cs.append({'name': c['name'], 'image': c.get('image', ''),
                   'imageID': 'lab://' + c.get('image', ''), 'containerID': 'containerd://' + cid,
                   'ready': ready, 'started': True, 'restartCount': st.get('restarts', 0),
                   'state': {'running': {'startedAt': st.get('started', t0)}}, 'lastState': {}})
    return {'status': {'phase': 'Running', 'hostIP': NODES[st['node']]['ip'], 'podIP': st['ip'],
                       'podIPs': [{'ip': st['ip']}], 'startTime': t0, 'conditions': conds,
                       'containerStatuses': cs}}


def current_matches(pod, st, ready):
    s = pod.get('status') or {}
    if s.get('phase') != 'Running' or s.get('podIP') != st['ip']:
        return False
    rc = [c for c in s.get('conditions', []) if c['type'] == 'Ready']
    if not rc or rc[0]['status'] != ('True' if ready else 'False'):
        return False
    cs = s.get('containerStatuses') or []
    if not cs or any(c.get('restartCount', 0) != st.get('restarts', 0) for c in cs):
        return False
    return True


def exit_code(p, pid):
    """The ended process's exit status as a runtime reports it (128+signal);
    unknown (adopted from an earlier kubelet): 0."""
    if p is None or p.pid != pid or p.returncode is None:
        return 0
    rc = p.returncode
    return 128 - rc if rc < 0 else rc


def finished_status(pod, st):
    code = st['exit_code']
    t0 = st.get('created')
    cs = []
    for c in pod['spec']['containers']:
        cid = hashlib.sha256((st['uid'] + '/' + c['name']).encode()).hexdigest()
        cs.append({'name': c['name'], 'image': c.get('image', ''),
                   'imageID': 'lab://' + c.get('image', ''), 'containerID': 'containerd://' + cid,
                   'ready': False, 'started': False, 'restartCount': st.get('restarts', 0),
                   'state': {'terminated': {'exitCode': code, 'reason': 'Completed' if code == 0 else 'Error',
                                            'startedAt': st.get('started', t0), 'finishedAt': st['finished'],
                                            'containerID': 'containerd://' + cid}},
                   'lastState': {}})
    conds = [{'type': t, 'status': 'False' if t in ('Ready', 'ContainersReady') else 'True',
              'lastProbeTime': None, 'lastTransitionTime': st['finished'] if t in ('Ready', 'ContainersReady') else t0}
             for t in ('Initialized', 'Ready', 'ContainersReady', 'PodScheduled')]
    return {'status': {'phase': 'Succeeded' if code == 0 else 'Failed', 'hostIP': NODES[st['node']]['ip'],
                       'podIP': st['ip'], 'podIPs': [{'ip': st['ip']}], 'startTime': t0,
                       'conditions': conds, 'containerStatuses': cs}}


def sync_pod(pod, st):
    uid = st['uid']
    if st.get('exit_code') is not None:
        return finish_pod(pod, st)
    if not alive(st):
        p = procs.get(uid)
        if st.get('pid') and (p is None or p.poll() is not None or proc_starttime(st['pid']) is None):
            code = exit_code(p, st['pid'])
            policy = pod['spec'].get('restartPolicy', 'Always')
            # an agent pod's command may end; podserver pods always restart
            if st.get('kind') == 'agent' and (policy == 'Never' or (policy == 'OnFailure' and code == 0)):
                log('process ended', st['namespace'] + '/' + st['name'], 'exit', code)
                st['exit_code'] = code
                st['finished'] = now()
                st['ready'] = False
                save_state(st)
                return finish_pod(pod, st)
            # back off like CrashLoopBackOff (0.5 s doubling to 10 s) so a
            # command that keeps ending does not spin; podserver pods are
            # restarted at once (tests kill them and expect it)
            if st.get('kind') == 'agent':
                gone = gone_since.setdefault(uid, time.time())
                if time.time() - gone < min(10, 0.5 * 2 ** min(st.get('restarts', 0), 5)):
                    return
                gone_since.pop(uid, None)
            log('process gone, restarting', st['namespace'] + '/' + st['name'])
            st['restarts'] = st.get('restarts', 0) + 1
            start_process(st, pod)
    ready = compute_ready(pod, st)
    if ready != st.get('ready'):
        st['ready'] = ready
        st['ready_since'] = now()
        save_state(st)
    if current_matches(pod, st, ready):
        return
    key = (ready, st.get('restarts', 0), st['ip'], pod['metadata'].get('resourceVersion'))
    lp = last_patch.get(uid)
    if lp and lp[0] == key and time.time() - lp[1] < 3:
        return
    last_patch[uid] = (key, time.time())
    md = pod['metadata']
    code, j = api('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (md['namespace'], md['name']),
                  pod_status(pod, st, ready), 'application/merge-patch+json')
    if code != 200:
        log('patch status', md['namespace'], md['name'], code, j.get('message'))

def finish_pod(pod, st):
    md = pod['metadata']
    key = ('finished', pod['metadata'].get('resourceVersion'))
    lp = last_patch.get(st['uid'])
    if lp and lp[0] == key and time.time() - lp[1] < 3:
        return
    last_patch[st['uid']] = (key, time.time())
    code, j = api('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (md['namespace'], md['name']),
                  finished_status(pod, st), 'application/merge-patch+json')
    if code != 200:
        log('patch status', md['namespace'], md['name'], code, j.get('message'))

# ---------------------------------------------------------------- DNS


dns_last = None


def sync_dns():
    global dns_last
    code, svcs = api('GET', '/api/v1/services?resourceVersion=0')
    if code != 200:
        return
    code, eps = api('GET', '/api/v1/endpoints?resourceVersion=0')
    if code != 200:
        return
    dom = CFG['domain']
    lines = []
    epmap = {(e['metadata']['namespace'], e['metadata']['name']): e for e in eps.get('items', [])}
    for s in svcs.get('items', []):
        ns, name = s['metadata']['namespace'], s['metadata']['name']
        fq = '%s.%s.svc.%s' % (name, ns, dom)
        cip = s['spec'].get('clusterIP')
        if cip and cip != 'None':
            lines.append('%s %s' % (cip, fq))
        elif cip == 'None':
            e = epmap.get((ns, name))
            for sub in (e or {}).get('subsets') or []:
                for a in sub.get('addresses') or []:
                    lines.append('%s %s' % (a['ip'], fq))
                    if a.get('hostname'):
                        lines.append('%s %s.%s' % (a['ip'], a['hostname'], fq))
    for st in load_states().values():
        lines.append('%s %s.%s.pod.%s' % (st['ip'], st['ip'].replace('.', '-'), st['namespace'], dom))
    text = '\n'.join(sorted(set(lines))) + '\n'
    if text == dns_last:
        return
    path = os.path.join(S, 'dns', 'hosts')
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path + '.tmp', path)
    dns_last = text
    try:
        pid = int(open(os.path.join(S, 'pids', 'dnsmasq.pid')).read().split()[0])
        st = open(os.path.join(S, 'pids', 'dnsmasq.start')).read().strip()
        if proc_starttime(pid) == st:
            os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        pass

# ---------------------------------------------------------------- main loop


pool = ThreadPoolExecutor(max_workers=6)


def setup_wrapper(pod):
    uid = pod['metadata']['uid']
    try:
        setup_pod(pod)
    except Exception as e:
        log('setup failed', pod['metadata']['namespace'] + '/' + pod['metadata']['name'], e)
        st = load_states().get(uid)
        if st:
            try:
                teardown(st)
            except Exception as e2:
                log('cleanup after failed setup:', e2)
    finally:
        with state_lock:
            inflight.discard(uid)


def delete_pod(pod):
    md = pod['metadata']
    body = {'apiVersion': 'v1', 'kind': 'DeleteOptions', 'gracePeriodSeconds': 0,
            'preconditions': {'uid': md['uid']}}
    code, j = api('DELETE', '/api/v1/namespaces/%s/pods/%s' % (md['namespace'], md['name']), body)
    if code not in (200, 202, 404, 409):
        log('delete', md['namespace'], md['name'], code, j.get('message'))


class PodCache:
    """List+watch of pods outside the ignored namespaces (an informer)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pods = {}          # uid -> pod
        self.synced = False
        self.changed = threading.Event()
        self.sel = 'fieldSelector=' + ','.join('metadata.namespace!=' + n for n in IGNORE_NS)

    def snapshot(self):
        with self.lock:
            return self.synced, list(self.pods.values())

    def run(self):
        while True:
            try:
                self.list_and_watch()
            except Exception as e:
                log('pod watch:', e)
            time.sleep(0.5)

    def list_and_watch(self):
        code, j = api('GET', '/api/v1/pods?' + self.sel)
        if code != 200:
            raise RuntimeError('list pods: %s %s' % (code, j.get('message')))
        with self.lock:
            self.pods = {p['metadata']['uid']: p for p in j.get('items', [])}
            self.synced = True
        self.changed.set()
        rv = j['metadata']['resourceVersion']
        c = http.client.HTTPSConnection(CFG['api_host'], CFG['api_port'], context=_ctx, timeout=90)
        try:
            c.request('GET', '/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=60&resourceVersion=%s&%s'
                      % (rv, self.sel), headers={'Authorization': 'Bearer ' + TOKEN, 'Accept': 'application/json'})
            r = c.getresponse()
            if r.status != 200:
                raise RuntimeError('watch pods: %s' % r.status)
            n = 0
            t0 = time.time()
            while True:
                line = r.readline()
                if not line:
                    if time.time() - t0 < 30:
                        log('pod watch ended early after %.1fs, %d events' % (time.time() - t0, n))
                        time.sleep(1)
                    return
                n += 1
                ev = json.loads(line)
                typ, obj = ev.get('type'), ev.get('object') or {}
                if typ == 'ERROR':
                    log('pod watch error:', obj.get('message'))
                    time.sleep(1)
                    return
                if typ == 'BOOKMARK':
                    continue
                uid = obj['metadata']['uid']
                with self.lock:
                    if typ == 'DELETED':
                        self.pods.pop(uid, None)
                    else:
                        self.pods[uid] = obj
                self.changed.set()
        finally:
            c.close()


podcache = PodCache()


# Images of this registry never pull: the lab's way to show a pod (an
# agent with a wrong --image) stuck as a real kubelet reports it.
UNPULLABLE = 'unpullable.invalid/'
pull_failed = set()


def image_pull_fails(pod):
    return any((c.get('image') or '').startswith(UNPULLABLE)
               for c in pod['spec'].get('containers', []))


def report_pull_failure(pod):
    md = pod['metadata']
    cs = [{'name': c['name'], 'image': c.get('image', ''), 'imageID': '', 'ready': False,
           'started': False, 'restartCount': 0, 'lastState': {},
           'state': {'waiting': {'reason': 'ErrImagePull',
                                 'message': 'failed to pull image "%s": lab: no such registry'
                                 % c.get('image', '')}}}
          for c in pod['spec']['containers']]
    body = {'status': {'phase': 'Pending', 'hostIP': NODES[pod['spec']['nodeName']]['ip'],
                       'conditions': [{'type': 'PodScheduled', 'status': 'True'}],
                       'containerStatuses': cs}}
    code, j = api('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (md['namespace'], md['name']),
                  body, 'application/merge-patch+json', ok=(200, 404))
    if code == 200:
        log('pod', md['namespace'] + '/' + md['name'], 'image pull fails (lab)')
    return code == 200


def sync_once(state):
    paused = paused_nodes()
    if state.get('paused', set()) - paused:
        state['nodes_t'] = 0    # resumed: post its status at once
    state['paused'] = paused
    if time.time() - state.get('nodes_t', 0) > 15:
        ensure_nodes(paused)
        state['nodes_t'] = time.time()
    elif paused and time.time() - state.get('paused_t', 0) > 1:
        # the scheduler (us too) sees the taints the node lifecycle
        # controller puts on a node whose kubelet stopped
        for name in paused:
            code, j = api('GET', '/api/v1/nodes/' + name)
            if code == 200:
                node_objs[name] = j
        state['paused_t'] = time.time()
    synced, pods = podcache.snapshot()
    if not synced:
        return
    states = load_states()
    seen = set()
    for pod in pods:
        md = pod['metadata']
        uid = md['uid']
        seen.add(uid)
        try:
            node = pod['spec'].get('nodeName')
            if node in paused:
                continue        # its kubelet is stopped: nothing happens there
            if md.get('deletionTimestamp'):
                if uid in inflight:
                    continue
                st = states.get(uid)
                if st:
                    pods_by_uid.pop(uid, None)
                    teardown(st)
                delete_pod(pod)
                continue
            if not node:
                bind(pod, choose_node(pod, pods))
                node = pod['spec'].get('nodeName')
                if not node or node in paused:
                    continue
            if node not in NODES:
                continue
            if (pod.get('status') or {}).get('phase') in ('Succeeded', 'Failed'):
                continue
            if image_pull_fails(pod):
                if uid not in pull_failed and report_pull_failure(pod):
                    pull_failed.add(uid)
                continue
            st = states.get(uid)
            if st is None:
                with state_lock:
                    if uid in inflight:
                        continue
                    inflight.add(uid)
                pool.submit(setup_wrapper, pod)
                continue
            if uid in inflight:
                continue
            pods_by_uid[uid] = (pod, st)
            sync_pod(pod, st)
        except Exception as e:
            log('pod', md.get('namespace'), md.get('name'), 'error:', e)
            traceback.print_exc()
    for uid, st in states.items():
        if uid not in seen and uid not in inflight and st.get('node') not in paused:
            pods_by_uid.pop(uid, None)
            try:
                teardown(st)
            except Exception as e:
                log('teardown orphan', uid, e)
    for uid in list(pods_by_uid):
        if uid not in seen:
            pods_by_uid.pop(uid, None)
    if time.time() - state.get('dns_t', 0) > 1:
        sync_dns()
        state['dns_t'] = time.time()


def main():
    os.makedirs(PODS_DIR, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    for n in NODES:
        threading.Thread(target=probe_loop, args=(n,), daemon=True).start()
    log('lab kubelet started, nodes:', ' '.join(NODES))
    threading.Thread(target=podcache.run, daemon=True).start()
    threading.Thread(target=lease_loop, daemon=True).start()
    state = {}
    while True:
        t = time.time()
        podcache.changed.clear()
        try:
            sync_once(state)
        except Exception as e:
            log('sync error:', e)
        for uid, p in list(procs.items()):
            p.poll()
        time.sleep(0.05)
        podcache.changed.wait(max(0.05, 0.5 - (time.time() - t)))


if __name__ == '__main__':
    main()

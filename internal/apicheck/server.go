package apicheck

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is an etcd and a kube-apiserver on loopback, started with temporary directories.
type Server struct {
	Client *Client
	dir    string
	procs  []*proc
}

// proc is a started process; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// ServerOptions names the binaries and where their logs go.
type ServerOptions struct {
	Etcd, KubeAPIServer string
	// Logs receives both processes' output (a file; nil discards it).
	Logs io.Writer
	// Ready bounds the wait for etcd and the API server's /readyz.
	Ready time.Duration
}

// APIServerArgs are the kube-apiserver flags of the check, apart from ports and files. They follow a
// managed cluster: the default admission plugins of v1.34 (NamespaceLifecycle, LimitRanger,
// ServiceAccount, PodSecurity, DefaultStorageClass, StorageObjectInUseProtection,
// PersistentVolumeClaimResize, ResourceQuota, the admission-policy and webhook plugins, …) plus
// NodeRestriction as EKS, AKS and GKE enable it; RBAC authorization (the check's user is in
// system:masters); privileged containers allowed as on those clusters (--allow-privileged defaults
// to false on a bare kube-apiserver).
var APIServerArgs = []string{
	"--authorization-mode=Node,RBAC",
	"--enable-admission-plugins=NodeRestriction",
	"--allow-privileged=true",
	"--service-cluster-ip-range=10.96.0.0/16",
	"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
	"--api-audiences=https://kubernetes.default.svc.cluster.local",
	"--profiling=false",
}

// StartServer starts etcd and kube-apiserver and waits until the API server is ready.
func StartServer(ctx context.Context, o ServerOptions) (s *Server, err error) {
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	if o.Ready == 0 {
		o.Ready = 3 * time.Minute
	}
	dir, err := os.MkdirTemp("", "apicheck-")
	if err != nil {
		return nil, err
	}
	s = &Server{dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := s.start(o.Logs, o.Etcd,
		"--name=apicheck", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=apicheck="+peerURL, "--log-level=warn", "--logger=zap"); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, o.Ready, http.DefaultClient, etcdURL+"/health", nil); err != nil {
		return nil, fmt.Errorf("etcd at %s: %w", etcdURL, err)
	}

	token, err := randomHex(24)
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,apicheck,apicheck,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	saKey := filepath.Join(dir, "sa.key")
	if err := writeRSAKey(saKey); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	args := append([]string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokens,
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
	}, APIServerArgs...)
	if err := s.start(o.Logs, o.KubeAPIServer, args...); err != nil {
		return nil, err
	}
	base := "https://127.0.0.1:" + strconv.Itoa(ports[2])
	// --cert-dir without --tls-cert-file: the API server writes a self-signed serving certificate
	// (and the CA that signed it) to certDir/apiserver.crt before it listens.
	var ca []byte
	deadline := time.Now().Add(o.Ready)
	for {
		if ca, err = os.ReadFile(filepath.Join(certDir, "apiserver.crt")); err == nil && len(ca) > 0 {
			break
		}
		if err := s.exited(); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("kube-apiserver wrote no serving certificate in %s", o.Ready)
		}
		time.Sleep(200 * time.Millisecond)
	}
	c, err := NewClient(base, token, ca)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, time.Until(deadline), c.HTTP, base+"/readyz", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	}); err != nil {
		if xerr := s.exited(); xerr != nil {
			return nil, xerr
		}
		return nil, fmt.Errorf("kube-apiserver at %s: %w", base, err)
	}
	s.Client = c
	return s, nil
}

func (s *Server) start(logs io.Writer, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	s.procs = append(s.procs, p)
	return nil
}

// exited reports a process that has already stopped.
func (s *Server) exited() error {
	for _, p := range s.procs {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %v (its log says why)", filepath.Base(p.cmd.Path), p.err)
		default:
		}
	}
	return nil
}

// Stop ends the processes (API server first) and removes the temporary directory.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	_ = os.RemoveAll(s.dir)
}

func waitHTTP(ctx context.Context, within time.Duration, c *http.Client, url string, auth func(*http.Request)) error {
	deadline := time.Now().Add(within)
	last := "no answer"
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if auth != nil {
			auth(req)
		}
		resp, err := c.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s: %s", within, last)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writeRSAKey writes a new service-account signing key (the API server reads the public half from it).
func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
}

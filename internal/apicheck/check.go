package apicheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Outcome is what the API server said about one object.
type Outcome struct {
	File, Ref string
	// How: "dry run" (server-side apply, dryRun=All), "applied" (namespaces, stored for real),
	// or "patch" (dry run of a pulumi-kubernetes Patch resource against its existing target).
	How     string
	Message string // the API server's message when rejected
	// Warnings are the API server's warnings for an accepted object.
	Warnings []string
}

// Result is the check of one plan combination.
type Result struct {
	Name     string
	Objects  int
	Accepted []Outcome
	Rejected []Outcome
	// Unchecked lists objects of kinds no pinned CRD serves and unchecked.txt names, with its reason.
	Unchecked []Outcome
	// Prepared lists objects created for real so that a Patch has its target, as the cluster's
	// controllers would have created them (e.g. a StatefulSet's PersistentVolumeClaim).
	Prepared []string
}

// Checker applies a plan's manifests to one API server.
type Checker struct {
	C *Client
	// Wait bounds the wait for a CRD to be Established and a namespace to be gone.
	Wait time.Duration
	// Unchecked maps "apiVersion kind" to why its objects cannot be checked (ParseUnchecked); such an
	// object is listed, not applied, unless an installed CRD serves its kind after all.
	Unchecked map[string]string
	// Provided maps a namespace a cluster add-on creates outside the plan to why (ParseProvided):
	// objects in it meet it created, as on the cluster, unless the plan creates it itself.
	Provided map[string]string
}

// InstallCRDs applies every CRD for real (server-side apply with strict field validation), waits
// until each is Established and refreshes discovery.
func (k *Checker) InstallCRDs(ctx context.Context, crds []CRD) error {
	crdRes := metav1.APIResource{Name: "customresourcedefinitions"}
	for _, c := range crds {
		path := Path("apiextensions.k8s.io/v1", crdRes, "", c.Name)
		warnings, err := k.C.Apply(ctx, path, c.Object.JSON, ApplyOptions{Force: true}, nil)
		if err != nil {
			return fmt.Errorf("install CRD %s from %s: %w", c.Name, c.Source, err)
		}
		if len(warnings) > 0 {
			return fmt.Errorf("install CRD %s from %s: the API server warns: %s", c.Name, c.Source, strings.Join(warnings, "; "))
		}
	}
	for _, c := range crds {
		path := Path("apiextensions.k8s.io/v1", crdRes, "", c.Name)
		if err := k.poll(ctx, func() (bool, error) {
			var got struct {
				Status struct {
					Conditions []struct{ Type, Status, Message string }
				}
			}
			if err := k.C.Do(ctx, http.MethodGet, path, "", nil, &got); err != nil {
				return false, err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == "Established" && cond.Status == "True" {
					return true, nil
				}
			}
			return false, nil
		}); err != nil {
			return fmt.Errorf("CRD %s (%s) not Established: %w", c.Name, c.Source, err)
		}
	}
	return k.C.Discover(ctx)
}

func (k *Checker) poll(ctx context.Context, done func() (bool, error)) error {
	wait := k.Wait
	if wait == 0 {
		wait = time.Minute
	}
	deadline := time.Now().Add(wait)
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still waiting after %s", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// target is an object resolved to its REST path.
type target struct {
	obj  Object
	res  metav1.APIResource
	path string
	body []byte
}

// resolve finds the resource serving the object; a Patch kind of pulumi-kubernetes (e.g.
// PersistentVolumeClaimPatch) resolves to the kind it patches.
func (k *Checker) resolve(o Object) (target, bool, error) {
	kind, patch := o.Kind, false
	if _, ok := k.C.Resource(o.APIVersion, kind); !ok && strings.HasSuffix(kind, "Patch") {
		kind, patch = strings.TrimSuffix(kind, "Patch"), true
	}
	r, ok := k.C.Resource(o.APIVersion, kind)
	if !ok {
		return target{}, false, fmt.Errorf("no API serves apiVersion %s kind %s on this API server: install its CRD (internal/apicheck/crds.txt)", o.APIVersion, o.Kind)
	}
	body := o.JSON
	if r.Namespaced && o.Namespace == "" {
		// pulumi-kubernetes puts a namespaced object without metadata.namespace in "default".
		o.Namespace = "default"
	}
	if patch {
		var m map[string]any
		if err := json.Unmarshal(o.JSON, &m); err != nil {
			return target{}, false, err
		}
		m["kind"] = kind
		var err error
		if body, err = json.Marshal(m); err != nil {
			return target{}, false, err
		}
	}
	return target{obj: o, res: r, path: Path(o.APIVersion, r, o.Namespace, o.Name), body: body}, patch, nil
}

// Check applies one combination's objects: namespaces for real, then every other object as a
// server-side-apply dry run. Everything it created for real is removed before it returns, so the
// next combination meets the same empty cluster (apart from the CRDs).
func (k *Checker) Check(ctx context.Context, name string, objs []Object) (res Result, err error) {
	res = Result{Name: name, Objects: len(objs)}
	var created []target // in creation order; removed in reverse
	defer func() {
		if cerr := k.cleanup(ctx, created); cerr != nil && err == nil {
			err = fmt.Errorf("%s: cleanup: %w", name, cerr)
		}
	}()
	reject := func(o Object, how, msg string) {
		res.Rejected = append(res.Rejected, Outcome{File: o.File, Ref: o.Ref(), How: how, Message: msg})
	}
	enforce := map[string]podSecurity{} // namespaces with an enforced Pod Security level
	accept := func(o Object, how string, warnings []string) {
		res.Accepted = append(res.Accepted, Outcome{File: o.File, Ref: o.Ref(), How: how, Warnings: warnings})
	}

	var rest []Object
	for _, o := range objs {
		if o.APIVersion != "v1" || o.Kind != "Namespace" {
			rest = append(rest, o)
			continue
		}
		t, _, err := k.resolve(o)
		if err != nil {
			return res, err
		}
		existed := true
		if err := k.C.Do(ctx, http.MethodGet, t.path, "", nil, nil); IsNotFound(err) {
			existed = false
		} else if err != nil {
			return res, err
		}
		warnings, err := k.C.Apply(ctx, t.path, t.body, ApplyOptions{}, nil)
		if err != nil {
			reject(o, "applied", apiMessage(err))
			continue
		}
		if !existed {
			created = append(created, t)
		}
		if ps, err := readPodSecurity(o); err != nil {
			return res, err
		} else if ps.enforce != "" && ps.enforce != "privileged" {
			ps.path = t.path
			enforce[o.Name] = ps
		}
		accept(o, "applied", warnings)
	}

	planned := map[string]bool{}
	for _, o := range objs {
		if o.APIVersion == "v1" && o.Kind == "Namespace" {
			planned[o.Name] = true
		}
	}
	provided, prepared, err := k.provideNamespaces(ctx, rest, planned)
	created = append(created, provided...)
	res.Prepared = append(res.Prepared, prepared...)
	if err != nil {
		return res, err
	}

	statefulSets := map[string]Object{}
	for _, o := range rest {
		if o.APIVersion == "apps/v1" && o.Kind == "StatefulSet" {
			statefulSets[o.Namespace+"/"+o.Name] = o
		}
	}
	for _, o := range rest {
		if why, ok := k.Unchecked[o.APIVersion+" "+o.Kind]; ok {
			if _, served := k.C.Resource(o.APIVersion, o.Kind); !served {
				res.Unchecked = append(res.Unchecked, Outcome{File: o.File, Ref: o.Ref(), How: "not checked", Message: why})
				continue
			}
		}
		t, patch, err := k.resolve(o)
		if err != nil {
			reject(o, "dry run", err.Error())
			continue
		}
		how, opts := "dry run", ApplyOptions{DryRun: true}
		if patch {
			how = "patch"
			opts.Force = patchForce(o)
			prepared, err := k.ensureTarget(ctx, t, statefulSets)
			if err != nil {
				reject(o, how, err.Error())
				continue
			}
			if prepared != nil {
				created = append(created, *prepared)
				res.Prepared = append(res.Prepared, prepared.obj.Ref()+" (for "+o.File+")")
			}
		}
		warnings, err := k.C.Apply(ctx, t.path, t.body, opts, nil)
		if err != nil {
			reject(o, how, apiMessage(err))
			continue
		}
		accept(t.obj, how, warnings)
	}
	if err := k.enforcePodSecurity(ctx, &res, objs, enforce); err != nil {
		return res, err
	}
	return res, nil
}

// podSecurity is a namespace's Pod Security labels.
type podSecurity struct {
	path                                       string
	enforce, enforceVersion, warn, warnVersion string
}

const psaLabel = "pod-security.kubernetes.io/"

func readPodSecurity(ns Object) (podSecurity, error) {
	var m struct {
		Metadata struct{ Labels map[string]string }
	}
	if err := json.Unmarshal(ns.JSON, &m); err != nil {
		return podSecurity{}, fmt.Errorf("%s: %w", ns.File, err)
	}
	l := m.Metadata.Labels
	return podSecurity{enforce: l[psaLabel+"enforce"], enforceVersion: l[psaLabel+"enforce-version"],
		warn: l[psaLabel+"warn"], warnVersion: l[psaLabel+"warn-version"]}, nil
}

// podTemplateKinds are the kinds whose pod template PodSecurity evaluates on admission
// (k8s.io/pod-security-admission@v0.34.4 admission/admission.go DefaultPodSpecExtractor).
var podTemplateKinds = map[string]bool{"apps/v1 Deployment": true, "apps/v1 StatefulSet": true, "apps/v1 DaemonSet": true,
	"apps/v1 ReplicaSet": true, "batch/v1 Job": true, "batch/v1 CronJob": true, "v1 ReplicationController": true, "v1 PodTemplate": true}

// enforcePodSecurity re-checks every accepted workload of a namespace with an enforced Pod Security
// level against that level. PodSecurity admits a workload whose pod template violates the enforced
// level, warning only at the namespace's warn level (k8s.io/pod-security-admission@v0.34.4
// admission/admission.go ValidatePodController → EvaluatePod(enforce=false)); its pods are refused
// later, when the controller creates them. So the namespace's warn level is set to its enforce level
// for a second dry run, and a PodSecurity warning then is a rejection: no pod of that template
// would start. The warn labels are put back afterwards.
func (k *Checker) enforcePodSecurity(ctx context.Context, res *Result, objs []Object, enforce map[string]podSecurity) error {
	if len(enforce) == 0 {
		return nil
	}
	labels := func(warn, version string) []byte {
		v := func(s string) any {
			if s == "" {
				return nil
			}
			return s
		}
		b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{
			psaLabel + "warn": v(warn), psaLabel + "warn-version": v(version)}}})
		return b
	}
	for _, ps := range enforce {
		if err := k.C.Do(ctx, http.MethodPatch, ps.path, "application/merge-patch+json", labels(ps.enforce, ps.enforceVersion), nil); err != nil {
			return fmt.Errorf("set the warn level of %s: %w", ps.path, err)
		}
	}
	defer func() {
		for _, ps := range enforce {
			_ = k.C.Do(ctx, http.MethodPatch, ps.path, "application/merge-patch+json", labels(ps.warn, ps.warnVersion), nil)
		}
	}()
	byRef := map[string]Object{}
	for _, o := range objs {
		byRef[o.File+" "+o.Ref()] = o
	}
	var kept []Outcome
	for _, a := range res.Accepted {
		o, ok := byRef[a.File+" "+a.Ref]
		ps, enforced := enforce[o.Namespace]
		if !ok || !enforced || a.How != "dry run" || !podTemplateKinds[o.APIVersion+" "+o.Kind] {
			kept = append(kept, a)
			continue
		}
		t, _, err := k.resolve(o)
		if err != nil {
			return err
		}
		warnings, err := k.C.Apply(ctx, t.path, t.body, ApplyOptions{DryRun: true}, nil)
		if err != nil {
			return fmt.Errorf("second dry run of %s: %w", o.Ref(), err)
		}
		refused := ""
		for _, w := range warnings {
			if strings.HasPrefix(w, `would violate PodSecurity "`+ps.enforce+":") {
				refused = w
			}
		}
		if refused == "" {
			kept = append(kept, a)
			continue
		}
		res.Rejected = append(res.Rejected, Outcome{File: a.File, Ref: a.Ref, How: "pod security",
			Message: "its pods would be refused by the namespace's enforced Pod Security level " + ps.enforce + ": " + refused})
	}
	res.Accepted = kept
	return nil
}

// patchForce reads the pulumi.com/patchForce annotation, with which pulumi-kubernetes sends a Patch
// resource's apply with force=true.
func patchForce(o Object) bool {
	var m struct {
		Metadata struct{ Annotations map[string]string }
	}
	_ = json.Unmarshal(o.JSON, &m)
	return m.Metadata.Annotations["pulumi.com/patchForce"] == "true"
}

// ensureTarget makes sure a Patch resource's target exists, as the cluster would have it when the
// patch runs. A pulumi-kubernetes Patch modifies an existing object; the only targets the plan
// patches today are the PersistentVolumeClaims a StatefulSet of the plan creates
// (<volumeClaimTemplate>-<statefulset>-<ordinal>), which are created here from the template as the
// StatefulSet controller does. Any other missing target is an error: nothing would create it.
func (k *Checker) ensureTarget(ctx context.Context, t target, statefulSets map[string]Object) (*target, error) {
	err := k.C.Do(ctx, http.MethodGet, t.path, "", nil, nil)
	if err == nil {
		return nil, nil
	}
	if !IsNotFound(err) {
		return nil, err
	}
	if t.obj.APIVersion == "v1" && t.res.Kind == "PersistentVolumeClaim" {
		claim, ok, err := claimFromStatefulSet(t.obj.Namespace, t.obj.Name, statefulSets)
		if err != nil {
			return nil, err
		}
		if ok {
			collection := strings.TrimSuffix(t.path, "/"+t.obj.Name)
			if err := k.C.Do(ctx, http.MethodPost, collection+"?fieldManager=kube-controller-manager&fieldValidation=Strict",
				"application/json", claim, nil); err != nil {
				return nil, fmt.Errorf("creating the claim the StatefulSet controller would create: %s", apiMessage(err))
			}
			prepared := t
			prepared.obj.Kind = "PersistentVolumeClaim"
			return &prepared, nil
		}
	}
	return nil, fmt.Errorf("the patch's target %s %s/%s does not exist and nothing in the plan creates it", t.res.Kind, t.obj.Namespace, t.obj.Name)
}

// claimFromStatefulSet builds the PersistentVolumeClaim the StatefulSet controller creates for
// claim name ns/name, if a StatefulSet of the plan owns that name: the template's metadata and spec,
// the StatefulSet's selector labels (k8s.io/kubernetes@v1.34.4
// pkg/controller/statefulset/stateful_set_utils.go getPersistentVolumeClaims).
func claimFromStatefulSet(ns, name string, statefulSets map[string]Object) ([]byte, bool, error) {
	for _, sts := range statefulSets {
		if sts.Namespace != ns {
			continue
		}
		var s struct {
			Spec struct {
				Replicas *int `json:"replicas"`
				Ordinals *struct {
					Start int `json:"start"`
				} `json:"ordinals"`
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				VolumeClaimTemplates []map[string]any `json:"volumeClaimTemplates"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(sts.JSON, &s); err != nil {
			return nil, false, fmt.Errorf("%s: %w", sts.File, err)
		}
		replicas, start := 1, 0
		if s.Spec.Replicas != nil {
			replicas = *s.Spec.Replicas
		}
		if s.Spec.Ordinals != nil {
			start = s.Spec.Ordinals.Start
		}
		for _, tmpl := range s.Spec.VolumeClaimTemplates {
			meta, _ := tmpl["metadata"].(map[string]any)
			tname, _ := meta["name"].(string)
			prefix := tname + "-" + sts.Name + "-"
			if tname == "" || !strings.HasPrefix(name, prefix) {
				continue
			}
			ord, err := strconv.Atoi(strings.TrimPrefix(name, prefix))
			if err != nil || ord < start || ord >= start+replicas {
				continue
			}
			labels := map[string]any{}
			if l, ok := meta["labels"].(map[string]any); ok {
				for k, v := range l {
					labels[k] = v
				}
			}
			for k, v := range s.Spec.Selector.MatchLabels {
				labels[k] = v
			}
			claimMeta := map[string]any{"name": name, "namespace": ns, "labels": labels}
			if a, ok := meta["annotations"]; ok {
				claimMeta["annotations"] = a
			}
			claim, err := json.Marshal(map[string]any{
				"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": claimMeta, "spec": tmpl["spec"],
			})
			return claim, err == nil, err
		}
	}
	return nil, false, nil
}

// cleanup removes what Check created for real, newest first: finalizers that only controllers
// would remove (no controller runs here) are cleared, and a namespace is finalized as the namespace
// controller does once it is empty.
func (k *Checker) cleanup(ctx context.Context, created []target) error {
	for i := len(created) - 1; i >= 0; i-- {
		t := created[i]
		if err := k.C.Do(ctx, http.MethodDelete, t.path, "", nil, nil); err != nil && !IsNotFound(err) {
			return fmt.Errorf("delete %s: %w", t.obj.Ref(), err)
		}
		if t.res.Kind == "Namespace" {
			body := []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":` + strconv.Quote(t.obj.Name) + `},"spec":{"finalizers":[]}}`)
			if err := k.C.Do(ctx, http.MethodPut, t.path+"/finalize", "application/json", body, nil); err != nil && !IsNotFound(err) {
				return fmt.Errorf("finalize %s: %w", t.obj.Ref(), err)
			}
		} else {
			err := k.C.Do(ctx, http.MethodPatch, t.path, "application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`), nil)
			if err != nil && !IsNotFound(err) {
				return fmt.Errorf("clear finalizers of %s: %w", t.obj.Ref(), err)
			}
		}
		if err := k.poll(ctx, func() (bool, error) {
			err := k.C.Do(ctx, http.MethodGet, t.path, "", nil, nil)
			if IsNotFound(err) {
				return true, nil
			}
			return false, err
		}); err != nil {
			return fmt.Errorf("%s still there: %w", t.obj.Ref(), err)
		}
	}
	return nil
}

// apiMessage is the API server's message for a rejected request.
func apiMessage(err error) string {
	if ae, ok := err.(*APIError); ok {
		return ae.Error()
	}
	return err.Error()
}

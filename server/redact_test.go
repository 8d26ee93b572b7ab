package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/privacy"
)

func TestRedact(t *testing.T) {
	caller := data.Person{Name: "王小明", Phone: "13812345678"}
	tests := []struct {
		name, in, want string
		caller         data.Person
	}{
		{"mobile", "请打 13912345678 联系", "请打 139****5678 联系", data.Person{}},
		{"mobile with dashes", "电话139-1234-5678", "电话139****5678", data.Person{}},
		{"landline", "座机 0632-3312345 值班", "座机 063****2345 值班", data.Person{}},
		{"caller name and phone", "王小明报：楼道堆物，回电13812345678", "王**报：楼道堆物，回电138****5678", caller},
		{"house numbers stay", "光明路12号3单元502室", "光明路12号3单元502室", data.Person{}},
		{"long codes stay", "工单 370402001013001", "工单 370402001013001", data.Person{}},
		{"dates stay", "2026-11-27 发现", "2026-11-27 发现", data.Person{}},
		{"empty", "", "", caller},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := privacy.MaskText(tt.in, tt.caller.Name, tt.caller.Phone); got != tt.want {
				t.Errorf("MaskText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFreeTextPrivacy: a caller's name and phone written into the
// description reach dispatchers as written and nobody else: not viewers,
// not the event stream, not Open311 readers.
func TestFreeTextPrivacy(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	ts := httptest.NewServer(env.s)
	defer ts.Close()
	_, p := buildingInGrid(t, 300)
	stream := openStream(t, ts.URL, env.tokens[RoleViewer], -1)
	defer stream.close()
	body := fmt.Sprintf(`{"category":"property.parking","description":"王小明反映车辆堵门，回电13812345678或0632-3312345","lon":%v,"lat":%v,"caller":{"name":"王小明","phone":"13812345678"}}`, p[0], p[1])
	w, inc := env.create(t, body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	secret := []string{"王小明", "13812345678", "3312345"}
	leaks := func(where, text string) {
		t.Helper()
		for _, s := range secret {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q: %s", where, s, text)
			}
		}
	}
	rv := do(t, env.s, "GET", "/api/v1/incidents/"+inc.ID, "", "", env.auth(RoleViewer)...)
	leaks("viewer GET", rv.Body.String())
	if !strings.Contains(rv.Body.String(), "王**反映车辆堵门") {
		t.Errorf("viewer description not masked as expected: %s", rv.Body)
	}
	leaks("viewer list", do(t, env.s, "GET", "/api/v1/incidents", "", "", env.auth(RoleViewer)...).Body.String())
	leaks("event stream", stream.next(t).raw)
	leaks("Open311", do(t, env.s, "GET", "/open311/v2/requests/"+inc.ID+".json", "", "").Body.String())
	rd := do(t, env.s, "GET", "/api/v1/incidents/"+inc.ID, "", "", env.auth(RoleDispatcher)...)
	if !strings.Contains(rd.Body.String(), "王小明反映车辆堵门，回电13812345678或0632-3312345") {
		t.Errorf("the dispatcher does not see the description as written: %s", rd.Body)
	}
}

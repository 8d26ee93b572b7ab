package privacy

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestMaskText(t *testing.T) {
	tests := []struct {
		name, in, want string
		names          []string
	}{
		{"mobile", "请打 13912345678 联系", "请打 139****5678 联系", nil},
		{"mobile with dashes", "电话139-1234-5678", "电话139****5678", nil},
		{"mobile with spaces", "手机 139 1234 5678 速回", "手机 139****5678 速回", nil},
		{"+86 with spaces", "call +86 139 1234 5678 now", "call 139****5678 now", nil},
		{"+86 joined", "回电+8613912345678", "回电139****5678", nil},
		{"0086", "0086-139-1234-5678", "139****5678", nil},
		{"86 joined", "8613912345678", "139****5678", nil},
		{"dots", "139.1234.5678", "139****5678", nil},
		{"full-width digits", "电话１３９１２３４５６７８", "电话139****5678", nil},
		{"two mobiles", "13812345678 13912345678", "138****5678 139****5678", nil},
		{"landline", "座机 0632-3312345 值班", "座机 063****2345 值班", nil},
		{"landline in brackets", "(0632)3312345", "063****2345", nil},
		{"landline spaced", "0632 331 2345", "063****2345", nil},
		{"landline +86 no trunk 0", "+86 632 3312345", "63******45", nil},
		{"local number after cue", "联系电话：3312345", "联系电话：33***45", nil},
		{"foreign number", "+1 415 555 2671", "141****2671", nil},
		{"ID number", "身份证370402199001011234", "身份证370***********1234", nil},
		{"ID number with X", "证件号 37040219900101123X。", "证件号 370***********123X。", nil},
		{"ID number lower x", "37040219900101123x", "370***********123X", nil},
		{"ID spaced", "370402 19900101 1234", "370***********1234", nil},
		{"caller name", "王小明报：楼道堆物", "王**报：楼道堆物", []string{"王小明"}},
		{"cue name", "联系人张三说楼道堆物", "联系人张*说楼道堆物", nil},
		{"cue name with colon", "报告人：欧阳娜娜，", "报告人：欧阳**，", nil},
		{"cue without a name", "居民楼道堆物", "居民楼道堆物", nil},
		{"family name alone", "市民王先生反映", "市民王先生反映", nil},
		{"name before a verb", "张丽华称噪音扰民", "张**称噪音扰民", nil},
		{"name before 说", "据刘芳芳说漏水", "据刘**说漏水", nil},
		{"name before 家", "青檀路12号 张伟强家", "青檀路12号 张**家", nil},
		{"word before a verb", "物业公司称已处理", "物业公司称已处理", nil},
		{"no name before a verb", "居民反映漏水", "居民反映漏水", nil},
		{"a name after a word", "邻居王五说楼上漏水", "邻居王*说楼上漏水", nil},
		{"house numbers stay", "光明路12号3单元502室", "光明路12号3单元502室", nil},
		{"grid code stays", "工单 370402001013001", "工单 370402001013001", nil},
		{"building code stays", "楼 370402001013001005", "楼 370402001013001005", nil},
		{"dates stay", "2026-11-27 发现", "2026-11-27 发现", nil},
		{"incident id stays", "GM20261126-000123", "GM20261126-000123", nil},
		{"coordinates stay", "117.551234,34.812345", "117.551234,34.812345", nil},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskText(tt.in, tt.names...); got != tt.want {
				t.Errorf("MaskText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskPlain(t *testing.T) {
	for in, want := range map[string]string{
		"I0000000002":        "I0000000002",
		"tk_13912345678":     "tk_13912345678",
		"06323312345":        "06323312345",
		"0632-3312345":       "063****2345",
		"13912345678":        "139****5678",
		"370402199001011234": "370***********1234",
		"联系13912345678":      "联系139****5678",
	} {
		if got := String(in, Plain, Viewer, nil); got != want {
			t.Errorf("plain %q = %q, want %q", in, got, want)
		}
	}
}

func TestLooksLikePhone(t *testing.T) {
	for s, want := range map[string]bool{
		"13812345678": true, "138-1234-5678": true, "+86 139 1234 5678": true, "0632-3312345": true,
		"(0632) 3312345": true, "3312345": true, "+44 20 7946 0958": true,
		"☎️": false, "": false, "abc": false, "12": false, "1381234567a": false, "000": false,
		"12345678901234567890": false, "138 1234 5678 ext 9": false,
	} {
		if got := LooksLikePhone(s); got != want {
			t.Errorf("LooksLikePhone(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张伟": "张*", "王小明": "王**", "欧阳娜娜": "欧阳**", "王": "王", "": ""} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

type card struct {
	Name  string `json:"name" privacy:"name"`
	Phone string `json:"phone" privacy:"phone"`
	Title string `json:"title"`
}

type inner struct {
	Note string `json:"note" privacy:"text"`
}

type view struct {
	inner                          // unexported embedded: its fields are sent, so masked
	ID          string             `json:"id" privacy:"public"`
	Description string             `json:"description" privacy:"text"`
	Caller      *card              `json:"caller,omitempty" privacy:"personal"`
	Head        card               `json:"head"`
	Team        []card             `json:"team"`
	Extra       map[string]any     `json:"extra"`
	Raw         json.RawMessage    `json:"raw"`
	Known       []string           `json:"-" privacy:"known"`
	Counts      map[string]int     `json:"counts"`
	Nested      map[string][]*card `json:"nested"`
}

func sample() view {
	return view{
		inner:       inner{Note: "已联系王小明 13912345678"},
		ID:          "13912345678",
		Description: "王小明反映：李四（370402199001011234）堵门，回电+86 139 1234 5678",
		Caller:      &card{Name: "王小明", Phone: "13912345678"},
		Head:        card{Name: "张伟", Phone: "13800000001", Title: "网格长"},
		Team:        []card{{Name: "赵六", Phone: "0632-3312345"}},
		Extra:       map[string]any{"memo": "电话 13700000002", "n": 3},
		Raw:         json.RawMessage(`{"phone":"13600000003"}`),
		Known:       []string{"李四"},
		Counts:      map[string]int{"a": 1},
		Nested:      map[string][]*card{"x": {{Name: "钱七", Phone: "13500000004"}}},
	}
}

func TestApply(t *testing.T) {
	orig := sample()
	before, _ := json.Marshal(orig)
	got := Apply(orig, Viewer)
	after, _ := json.Marshal(orig)
	if string(before) != string(after) {
		t.Fatalf("Apply changed its argument:\n%s\n%s", before, after)
	}
	b, _ := json.Marshal(got)
	out := string(b)
	for _, leak := range []string{"王小明", "李四", "370402199001011234", "13912345678", "13800000001", "张伟", "赵六", "3312345", "13700000002", "13600000003", "钱七", "13500000004"} {
		if leak == "13912345678" {
			// the declared public id is the one place it may stay
			out = strings.Replace(out, `"id":"13912345678"`, "", 1)
		}
		if strings.Contains(out, leak) {
			t.Errorf("viewer output holds %q: %s", leak, out)
		}
	}
	if got.Caller != nil {
		t.Errorf("caller not withheld: %+v", got.Caller)
	}
	if got.ID != "13912345678" {
		t.Errorf("public field changed: %q", got.ID)
	}
	if !strings.Contains(got.Description, "王**反映：李*（370***********1234）") {
		t.Errorf("description = %q", got.Description)
	}
	if got.Head.Name != "张*" || got.Head.Phone != "138****0001" || got.Head.Title != "网格长" {
		t.Errorf("head = %+v", got.Head)
	}

	anon := Apply(sample(), Anonymous)
	if anon.Description != "" || anon.Note != "" {
		t.Errorf("anonymous gets free text: %q %q", anon.Description, anon.Note)
	}
	if anon.Head.Name != "张*" {
		t.Errorf("anonymous head = %+v", anon.Head)
	}
	full := Apply(sample(), Personal)
	if full.Caller == nil || full.Description != sample().Description {
		t.Errorf("personal audience masked: %+v", full)
	}
}

func TestApplyAny(t *testing.T) {
	var v any = map[string]any{"list": []any{"13912345678", 1.5, map[string]any{"x": "370402199001011234"}}}
	b, _ := json.Marshal(Apply(v, Viewer))
	if regexp.MustCompile(`\d{11}`).Match(b) {
		t.Errorf("digits left: %s", b)
	}
	// nothing to mask: the same value back
	type plain struct {
		A int
		B []float64
	}
	p := &plain{A: 1, B: []float64{1}}
	if q := Apply(p, Viewer); q != p {
		t.Error("a value with nothing to mask was copied")
	}
}

func TestProps(t *testing.T) {
	p := map[string]any{"name": "王小明", "phone": "13912345678", "description": "王小明说 13812345678", "code": "370402001013001"}
	Props(p, Schema{"name": Name, "phone": Phone, "description": Text}, Viewer)
	if p["name"] != "王**" || p["phone"] != "139****5678" || p["description"] != "王**说 138****5678" || p["code"] != "370402001013001" {
		t.Errorf("props = %v", p)
	}
	row := Row([]string{"王小明", "13912345678", "x"}, Schema{"n": Name, "p": Phone}.Kinds([]string{"n", "p", "z"}), Anonymous)
	if strings.Join(row, ",") != "王**,139****5678,x" {
		t.Errorf("row = %v", row)
	}
}

func FuzzMaskText(f *testing.F) {
	for _, s := range []string{"13912345678", "+86 139 1234 5678", "370402199001011234", "联系人张三", "０６３２－３３１２３４５", "(0632)3312345", "电话 3312345"} {
		f.Add(s)
	}
	mobile := regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}($|[^0-9])`)
	id := regexp.MustCompile(`(^|[^0-9])[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]($|[^0-9])`)
	f.Fuzz(func(t *testing.T, s string) {
		out := MaskText(s)
		if mobile.MatchString(out) {
			t.Errorf("MaskText(%q) = %q keeps a mobile number", s, out)
		}
		if id.MatchString(out) {
			t.Errorf("MaskText(%q) = %q keeps an ID number", s, out)
		}
	})
}

func BenchmarkMaskText(b *testing.B) {
	s := "王小明反映：幸福小区3号楼楼道堆物，回电 +86 139 1234 5678 或 0632-3312345，身份证370402199001011234"
	b.ReportAllocs()
	for b.Loop() {
		MaskText(s, "王小明")
	}
}

func BenchmarkMaskTextNothing(b *testing.B) {
	s := "幸福小区3号楼楼道堆物，已清理，居民满意。光明路12号3单元502室"
	b.ReportAllocs()
	for b.Loop() {
		MaskText(s)
	}
}

func BenchmarkApply(b *testing.B) {
	v := sample()
	b.ReportAllocs()
	for b.Loop() {
		Apply(v, Viewer)
	}
}

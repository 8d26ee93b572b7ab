package people_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/data/tabular"
)

var demo *data.City

func demoCity(t testing.TB) *data.City {
	if demo == nil {
		c, err := synth.City(synth.Options{Seed: 1, Incidents: 100})
		if err != nil {
			t.Fatal(err)
		}
		demo = c
	}
	return demo
}

// Every list of the demo city, exported and imported again, changes
// nothing: the round trip through CSV and Excel is lossless.
func TestListsRoundTrip(t *testing.T) {
	c := demoCity(t)
	in := people.Importer{Rules: people.DefaultRules(), Now: synth.ReferenceDay, By: "test"}
	for _, l := range people.Lists {
		for _, f := range []tabular.Format{tabular.CSV, tabular.XLSX} {
			var buf bytes.Buffer
			if err := l.Export(c, &buf, f, true); err != nil {
				t.Fatalf("%s %s export: %v", l.Name, f, err)
			}
			ch, err := l.Import(c, bytes.NewReader(buf.Bytes()), f, in)
			if err != nil {
				t.Fatalf("%s %s import: %v", l.Name, f, err)
			}
			if !ch.Empty() {
				t.Errorf("%s %s: the round trip changes %v", l.Name, f, ch.Summary())
			}
			if f == tabular.XLSX && buf.Len() < 1000 {
				t.Errorf("%s: workbook of %d bytes", l.Name, buf.Len())
			}
		}
	}
}

// An edited file: new rows are created through the same checks as the API.
func TestListsImportEdits(t *testing.T) {
	c := fixture()
	in := people.Importer{Rules: people.DefaultRules(), Now: today, By: "test"}
	l, _ := people.ListByName(data.LayerStaff)
	text := strings.Join(l.Headers, ",") + "\n" + ",周八,专职网格员,青檀社区居委会,,13900001111,专职网格员,370402001001,,2026-02-01,,新招聘\n" +
		"H1,王一,网格长,市中区民政局,副科级,13812345678,,,,2024-01-01,2026-05-01,\n"
	ch, err := l.Import(c, strings.NewReader(text), tabular.CSV, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Staff) != 2 || ch.Staff[0].Name != "周八" || ch.Staff[0].ID != "P000001" || len(ch.Assignments) != 1 {
		t.Fatalf("change %+v", ch)
	}
	n := ch.Apply(c, today)
	if people.Check(n, today, people.DefaultRules()).ByRule[people.RuleGridHead] != 1 {
		t.Error("retiring H1 through the file should leave a grid without head")
	}

	a, _ := people.ListByName(data.LayerAssignments)
	assign := "人员编号,网格编码,职责,起始日期\nP000001,370402001001001,网格员,2026-02-01\n"
	ch, err = a.Import(n, strings.NewReader(assign), tabular.CSV, in)
	if err != nil || len(ch.Assignments) != 1 {
		t.Fatalf("assign by file: %v %+v", err, ch)
	}
}

// A bad file is refused whole, with the row and column of every problem,
// and its good rows are not written either.
func TestListsImportRefused(t *testing.T) {
	c := fixture()
	in := people.Importer{Rules: people.DefaultRules(), Now: today, By: "test"}
	for _, tc := range []struct {
		list, file string
		want       []string
	}{
		{data.LayerAssignments, "人员编号,网格编码,职责,起始日期\n" +
			"W3,370402001001001,网格员,2026-02-01\n" + // fine
			"K1,370402002001001,帮包干部,2026-02-01\n" + // a 4th grid
			"P404,370402001001001,网格员,2026-02-01\n" + // unknown person
			"H2,370402001001001,网格长,2026-02-01\n" + // second head
			"W3,370402001001001,网格员,2026-02-30\n", // bad date
			[]string{
				"row 3, column 1 (A 人员编号): staff_id: K1 would help 4 grids at once (limit 3)",
				"row 4, column 1 (A 人员编号): staff_id: no staff P404",
				"row 5, column 2 (B 网格编码): grid_code: grid 370402001001001 already has a head from 2024-01-01 (assignment A000001): replace it (replaces=A000001) or end it first",
				`row 6, column 4 (D 起始日期): "2026-02-30" is not a date (want 2026-01-02)`,
			}},
		{data.LayerPairings, "单位编码,社区编码\nU2,370402001001\nU3,370402001001\nU4,370402001001\n", []string{
			"row 3, column 2 (B 社区编码): community_code: 青檀社区 would have 3 district-level units (the rule: 1–2): rebalance with a proposal, or end a pairing first",
			"row 4, column 2 (B 社区编码): community_code: 薛城区民政局机关党委 is a unit of district 370403; 青檀社区 lies in 370402",
		}},
		{data.LayerStaff, "编号,姓名,角色,联系电话\n,张三,网格长,123\nH1,王一,网格长,13812345678\nH2,王二,老板,\n", []string{
			`row 2, column 4 (D 联系电话): phone: "123" is not a phone number (a mobile of 11 digits starting 13–19, or a landline such as 0632-1234567)`,
			`row 4, column 3 (C 角色): "老板" is not one of 下沉干部、网格长、专职网格员、兼职委员、领导干部、街道党工委书记`,
		}},
		{data.LayerCommitments, "单位编码,社区编码,年度,承诺事项,状态\nU1,370402001001,2026,联系13812345678,承诺\nU1,370402001001,2026,修路,跳过\n", []string{
			"row 2, column 4 (D 承诺事项): title: is published: it may not hold a phone or ID number",
			`row 3, column 5 (E 状态): "跳过" is not one of 承诺、进行中、完成、未完成`,
		}},
		{data.LayerEvaluations, "年度,对象类型,对象编号,等次\n2025,街道,370402001,一般\n2025,人员,孙一,优秀\n2025,人员,X1,优秀\n", []string{
			"row 3, column 3 (C 对象编号): subject_id: no staff 孙一",
			"row 4, column 4 (D 等次): grade: the street 370402001 is graded 一般 for 2025: its secretary cannot be graded 优秀",
		}},
	} {
		t.Run(tc.list, func(t *testing.T) {
			l, _ := people.ListByName(tc.list)
			ch, err := l.Import(c, strings.NewReader(tc.file), tabular.CSV, in)
			var es tabular.Errors
			if !errors.As(err, &es) {
				t.Fatalf("err %v", err)
			}
			if !ch.Empty() {
				t.Error("a refused file returned a change")
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A commitment moves along its flow by file too: a row from 承诺 straight
// to 完成 goes through 进行中 with its notes.
func TestListsCommitmentFlowByFile(t *testing.T) {
	c := fixture()
	in := people.Importer{Rules: people.DefaultRules(), Now: today, By: "组织部"}
	l, _ := people.ListByName(data.LayerCommitments)
	file := "单位编码,社区编码,年度,承诺事项,状态,佐证记录\nU1,370402001001,2026,修缮健身器材,完成,\"2026-03-01 09:00:00 组织部：已采购\n2026-05-01 09:00:00 组织部：已安装验收\"\n"
	ch, err := l.Import(c, strings.NewReader(file), tabular.CSV, in)
	if err != nil {
		t.Fatal(err)
	}
	n := ch.Apply(c, today)
	x := n.Commitments[0]
	if x.Status != data.CommitDone || len(x.Evidence) != 2 || x.Evidence[1].Text != "已安装验收" {
		t.Errorf("%+v", x)
	}
	if _, err := l.Import(n, strings.NewReader("编号,单位编码,社区编码,年度,承诺事项,状态\n"+x.ID+",U1,370402001001,2026,修缮健身器材,进行中\n"), tabular.CSV, in); err == nil {
		t.Error("完成 → 进行中 by file accepted")
	}
	_ = time.Now
}

func TestDisclosureHasNoPersonalData(t *testing.T) {
	c := demoCity(t)
	rows, tot := people.Disclosure(c, synth.ReferenceDay.Year())
	if len(rows) < 1000 || len(tot) < 400 {
		t.Fatalf("%d rows, %d units", len(rows), len(tot))
	}
	var buf bytes.Buffer
	people.DisclosureSchema.Write(&buf, tabular.CSV, rows)
	text := buf.String()
	for _, s := range c.Staff {
		if strings.Contains(text, s.Phone) || (len([]rune(s.Name)) > 2 && strings.Contains(text, s.Name)) {
			t.Fatalf("disclosure names %s", s.ID)
		}
	}
	for _, u := range c.ReportingUnits {
		if u.Secretary != "" && len([]rune(u.Secretary)) > 2 && strings.Contains(text, u.Secretary) {
			t.Fatalf("disclosure names the secretary of %s", u.Code)
		}
	}
}

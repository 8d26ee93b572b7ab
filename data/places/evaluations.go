package places

import (
	"fmt"
	"math"

	"github.com/gridmap/gridmap/data"
)

// BenchmarkScore is the least score for a benchmark title.
const BenchmarkScore = 90

// Grade names an evaluation score: 优秀 from 90, 良好 from 80, 合格 from
// 60, else 不合格.
func Grade(score float64) string {
	switch {
	case score >= 90:
		return "优秀"
	case score >= 80:
		return "良好"
	case score >= 60:
		return "合格"
	}
	return "不合格"
}

// YearEnd is the last day of a year, yyyy-12-31: evaluations look at the
// records in force that day.
func YearEnd(year int) string { return fmt.Sprintf("%04d-12-31", year) }

// CheckEvaluation checks an evaluation against the city and the property
// records. A benchmark title needs a score of at least 90, and:
//
//   - 红色物业标杆企业 (company): the company has a party organisation
//     (independent or joint) at the end of the year and serves at least
//     one compound then;
//   - 红色物业标杆项目 (project, a compound): the compound is professionally
//     managed at the end of the year, by a company with a party
//     organisation, and has an owners' committee whose members are at least
//     60% party members.
func CheckEvaluation(e *data.PropertyEvaluation, city *data.City, prop *Property) error {
	if e.Year < 2000 || e.Year > 2200 {
		return fieldErr("year", "%d out of range 2000..2200", e.Year)
	}
	if err := checkOneOf("kind", e.Kind, []string{data.EvalCompany, data.EvalProject}); err != nil {
		return err
	}
	if math.IsNaN(e.Score) || e.Score < 0 || e.Score > 100 {
		return fieldErr("score", "%v out of range 0..100", e.Score)
	}
	if err := checkText("note", e.Note, maxNote, false); err != nil {
		return err
	}
	end := YearEnd(e.Year)
	switch e.Kind {
	case data.EvalCompany:
		if prop.Company(e.SubjectCode) == nil {
			return fieldErr("subject_code", "no company %q", e.SubjectCode)
		}
		if !e.Benchmark {
			return nil
		}
		if e.Score < BenchmarkScore {
			return fieldErr("benchmark", "a benchmark needs a score of at least %d; got %v", BenchmarkScore, e.Score)
		}
		if !prop.HasPartyOrg(e.SubjectCode, end) {
			return fieldErr("benchmark", "%s has no party organisation on %s: it cannot be a 红色物业标杆企业", e.SubjectCode, end)
		}
		if len(prop.Served(e.SubjectCode, end)) == 0 {
			return fieldErr("benchmark", "%s serves no compound on %s", e.SubjectCode, end)
		}
	case data.EvalProject:
		if city.Compound(e.SubjectCode) == nil {
			return fieldErr("subject_code", "no compound %q", e.SubjectCode)
		}
		if !e.Benchmark {
			return nil
		}
		if e.Score < BenchmarkScore {
			return fieldErr("benchmark", "a benchmark needs a score of at least %d; got %v", BenchmarkScore, e.Score)
		}
		r, ok := prop.At(e.SubjectCode, end)
		switch {
		case !ok || r.Status != data.PropertyManaged:
			return fieldErr("benchmark", "%s is not professionally managed on %s: it cannot be a 红色物业标杆项目", e.SubjectCode, end)
		case !prop.HasPartyOrg(r.CompanyCode, end):
			return fieldErr("benchmark", "the company serving %s (%s) has no party organisation on %s", e.SubjectCode, r.CompanyCode, end)
		case !r.Committee:
			return fieldErr("benchmark", "%s has no owners' committee on %s", e.SubjectCode, end)
		case !CheckCommittee(r.Members).OK:
			s := CheckCommittee(r.Members)
			return fieldErr("benchmark", "the owners' committee of %s has %d party members of %d (under 60%%)", e.SubjectCode, s.Party, s.Members)
		}
	}
	return nil
}

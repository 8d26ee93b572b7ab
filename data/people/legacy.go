package people

import (
	"fmt"
	"time"

	"github.com/gridmap/gridmap/data"
)

// FromLegacy makes people records from a city that has none (a file from
// before they were kept): each grid's head and team member a staff record
// assigned to the grid from day d, each cadre with its grids, each unit's
// communities a pairing. What the city shows stays the same.
func FromLegacy(c *data.City, d time.Time) Change {
	d = data.Day(d)
	var ch Change
	na, np := 0, 0
	ns := map[byte]int{}
	sid := func(p byte) string { ns[p]++; return fmt.Sprintf("%c%09d", p, ns[p]) }
	assign := func(staff, grid, duty string) {
		na++
		ch.Assignments = append(ch.Assignments, data.Assignment{ID: fmt.Sprintf("A%010d", na), StaffID: staff, GridCode: grid, Duty: duty, From: d})
	}
	for _, g := range c.Grids {
		if g.Head.Name != "" {
			id := sid('H')
			ch.Staff = append(ch.Staff, data.Staff{ID: id, Name: g.Head.Name, Phone: g.Head.Phone, Title: g.Head.Title, Role: data.StaffHead, CommunityCode: g.CommunityCode, Joined: d})
			assign(id, g.Code, data.DutyHead)
		}
		for _, t := range g.Team {
			role, p := data.StaffWorker, byte('W')
			if t.Title != "专职网格员" {
				role, p = data.StaffMember, 'M'
			}
			id := sid(p)
			ch.Staff = append(ch.Staff, data.Staff{ID: id, Name: t.Name, Phone: t.Phone, Title: t.Title, Role: role, CommunityCode: g.CommunityCode, Joined: d})
			assign(id, g.Code, data.DutyWorker)
		}
	}
	for _, cd := range c.Cadres {
		ch.Staff = append(ch.Staff, data.Staff{ID: cd.ID, Name: cd.Name, Unit: cd.Unit, Rank: cd.Rank, Phone: cd.Phone, Role: data.StaffCadre, Title: "下沉干部", Joined: d})
		for _, gc := range cd.GridCodes {
			assign(cd.ID, gc, data.DutyCadre)
		}
	}
	for _, u := range c.ReportingUnits {
		if u.Level == data.UnitDistrict && u.DistrictCode == "" && len(u.CommunityCodes) > 0 {
			if cm := c.Community(u.CommunityCodes[0]); cm != nil {
				u.DistrictCode = cm.DistrictCode
				ch.Units = append(ch.Units, u)
			}
		}
		for _, cc := range u.CommunityCodes {
			np++
			ch.Pairings = append(ch.Pairings, data.Pairing{ID: fmt.Sprintf("B%010d", np), UnitCode: u.Code, CommunityCode: cc, From: d})
		}
	}
	return ch
}

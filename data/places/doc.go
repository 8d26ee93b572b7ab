// Package places holds the rules over the places and services of the
// grids: property service (满意物业), the party volunteer teams and the
// residents they serve, and the 1+N service stations (党群服务中心 and
// 网格红色驿站). It knows the model of package data and nothing of HTTP,
// SQL or the spatial engine; what it needs from them (an address
// resolver) is handed in.
//
// Records are dated (see data.Places): the state of a subject on a day is
// its latest record whose From is on or before that day. On that basis:
//
//   - Rates gives the three rates (三率) of property governance for any day
//     and area level, with their numerators and denominators, and Changes
//     their change against a base day;
//   - CheckCommittee tests the party-member share of an owners'
//     committee against the 60% rule;
//   - Link ties a property complaint (an incident of a property.* category)
//     to its compound, and Complaints counts them per compound, company and
//     community with a monthly trend and the year-on-year change;
//   - CheckEvaluation tests a yearly evaluation against the benchmark
//     criteria;
//   - Coverage tells, for every service target, its team, its last visit
//     and when the next is due, and lists the overdue ones;
//   - NextStatus enforces the station lifecycle, ParseHours reads opening
//     hours, and Assess rates a station against the star criteria,
//     producing the downgrades that lapsed criteria call for.
package places

"""Pure planning (no database, web or cache): which question next, and a day-by-day study plan
that maximizes expected marks by the exam date (`optimize.make_plan`), beside a plan that
shares the hours by weightage alone (`baseline.weightage_only_plan`)."""

"""Aggregate data, indicators and their expressions (汇总数据与指标)."""

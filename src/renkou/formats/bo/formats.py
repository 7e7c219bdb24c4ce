"""Tibetan: dates as 2008 ལོའི་ཟླ་ 1 ཚེས་ 10 (year, month, day in Arabic digits), numbers grouped by three
with a comma as on the Chinese pages."""

DATE_FORMAT = "Y ལོའི་ཟླ་ n ཚེས་ j"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y ལོའི་ཟླ་ n ཚེས་ j H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y ལོའི་ཟླ་ n"
MONTH_DAY_FORMAT = "ཟླ་ n ཚེས་ j"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

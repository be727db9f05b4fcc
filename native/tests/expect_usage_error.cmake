# ctest helper (CMakeLists.txt): runs TOOL with ARGS ('|'-separated) and passes only when the tool exits with 2
# within 20 s and its stderr is one line that contains EXPECT (the flag it must name).
#   cmake -DTOOL=path -DARGS=--quick=-5|--op|relu -DEXPECT=--quick -P expect_usage_error.cmake
string(REPLACE "|" ";" argv "${ARGS}")
execute_process(COMMAND "${TOOL}" ${argv} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
string(STRIP "${err}" line)
if(NOT rc STREQUAL "2")
  message(FATAL_ERROR "${TOOL} ${argv}: expected exit 2, got '${rc}'\nstdout: ${out}\nstderr: ${err}")
endif()
string(FIND "${line}" "\n" newline)
string(FIND "${line}" "${EXPECT}" named)
if(NOT newline EQUAL -1 OR named EQUAL -1)
  message(FATAL_ERROR "${TOOL} ${argv}: expected one line naming ${EXPECT} on stderr, got:\n${err}")
endif()
message(STATUS "${argv}: exit 2: ${line}")

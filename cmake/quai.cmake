# quai_library(NAME SOURCES... DEPS ...): one static library per area, headers included from src/.
function(quai_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(quai_${name} STATIC ${ARG_SOURCES})
  target_include_directories(quai_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(quai_${name} PUBLIC ${ARG_DEPS})
endfunction()

# quai_unit_test(NAME SOURCES... DEPS ...): a GoogleTest binary labelled "unit".
function(quai_unit_test name)
  if(NOT QUAI_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

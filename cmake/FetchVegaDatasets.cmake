# SPDX-License-Identifier: MIT
# Puts the four tables of the tabular and time-series examples into VEGA_DIR, each verified by its SHA-256:
#   cmake -DVEGA_DIR=data/vega -P cmake/FetchVegaDatasets.cmake
# They come from the npm package vega-datasets@3.2.1 (BSD-3-Clause), folder package/data/, fetched with
# `npm pack`. Files already there with the right checksum are kept; a file failing its checksum is deleted.
cmake_minimum_required(VERSION 3.16)

if(NOT VEGA_DIR)
  message(FATAL_ERROR "FetchVegaDatasets: VEGA_DIR is not set; run it as: cmake -DVEGA_DIR=<dir> -P cmake/FetchVegaDatasets.cmake")
endif()
get_filename_component(VEGA_DIR "${VEGA_DIR}" ABSOLUTE)
file(MAKE_DIRECTORY "${VEGA_DIR}")

set(vega_files penguins.json birdstrikes.csv seattle-weather.csv co2-concentration.csv)
set(sha_penguins.json 0facf769609f1205b82cbceb8238c36af3e6147a0ca0e163902cc6281ce3e917)
set(sha_birdstrikes.csv 45777edf69984b37599e73dbfb34dbc976055243547407214261a4fcb9466462)
set(sha_seattle-weather.csv 0845078a290b48e3149ab8639966824110a251db4e06fc144c06ebb534af23be)
set(sha_co2-concentration.csv c1a4a970864145940a28225cae288618b156cb32f9a2a1b6606ba7124134febb)
set(npm_package vega-datasets@3.2.1)

include("${CMAKE_CURRENT_LIST_DIR}/CheckFiles.cmake")

ganpp_check_files(FetchVegaDatasets "${VEGA_DIR}" ${vega_files})
if(NOT missing_files)
  message(STATUS "FetchVegaDatasets: all four files are present in ${VEGA_DIR} with the right SHA-256; nothing to do")
  return()
endif()

find_program(NPM_EXECUTABLE npm)
if(NOT NPM_EXECUTABLE)
  message(FATAL_ERROR "FetchVegaDatasets: npm not found; install npm (Node.js), or put ${missing_files} from the package "
                      "${npm_package} (folder data/) into ${VEGA_DIR} by hand and run this again to verify them")
endif()
set(work "${VEGA_DIR}/.fetch-vega-npm")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")
message(STATUS "FetchVegaDatasets: npm pack ${npm_package}")
execute_process(COMMAND "${NPM_EXECUTABLE}" pack ${npm_package}
                WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err TIMEOUT 900)
file(GLOB tarball "${work}/vega-datasets-*.tgz")
list(LENGTH tarball tarballs)
if(rc EQUAL 0 AND tarballs EQUAL 1)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xzf "${tarball}" WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  foreach(f IN LISTS missing_files)
    if(EXISTS "${work}/package/data/${f}")
      file(RENAME "${work}/package/data/${f}" "${VEGA_DIR}/${f}")
    endif()
  endforeach()
else()
  string(STRIP "${err}" err)
  message(STATUS "FetchVegaDatasets: npm pack ${npm_package} failed (result ${rc}): ${err}")
endif()
file(REMOVE_RECURSE "${work}")
ganpp_check_files(FetchVegaDatasets "${VEGA_DIR}" ${vega_files})
if(missing_files)
  string(REPLACE ";" ", " missing_text "${missing_files}")
  message(FATAL_ERROR "FetchVegaDatasets: could not get ${missing_text} into ${VEGA_DIR}: make \"npm pack ${npm_package}\" work "
                      "(check the network or npm's registry settings), or copy the files from the package's data/ folder by hand")
endif()
message(STATUS "FetchVegaDatasets: the four files are in ${VEGA_DIR}, checksums verified")

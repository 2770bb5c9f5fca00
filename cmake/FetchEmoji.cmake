# SPDX-License-Identifier: MIT
# Puts the 64x64 PNGs of the Noto emoji (Google's set, from the npm package emoji-datasource-google@16.0.0, folder
# img/google/64/) into EMOJI_DIR, for ganpp-sr --task emoji:
#   cmake -DEMOJI_DIR=data/emoji -P cmake/FetchEmoji.cmake
# `npm pack` fetches the package's .tgz, which is checked against its SHA-256 before anything is extracted; a stamp
# file EMOJI_DIR/.emoji-datasource-google-16.0.0 records a complete copy, so a second run does nothing.
# The images are Apache-2.0 licensed (Noto Emoji); the package's LICENSE is copied beside them.
cmake_minimum_required(VERSION 3.16)

if(NOT EMOJI_DIR)
  message(FATAL_ERROR "FetchEmoji: EMOJI_DIR is not set; run it as: cmake -DEMOJI_DIR=<dir> -P cmake/FetchEmoji.cmake")
endif()
get_filename_component(EMOJI_DIR "${EMOJI_DIR}" ABSOLUTE)
set(npm_package emoji-datasource-google@16.0.0)
set(tgz_sha256 fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438)
set(stamp "${EMOJI_DIR}/.emoji-datasource-google-16.0.0")

if(EXISTS "${stamp}")
  file(READ "${stamp}" recorded)
  if(recorded STREQUAL "${tgz_sha256}")
    message(STATUS "FetchEmoji: ${EMOJI_DIR} already holds the PNGs of ${npm_package}; nothing to do")
    return()
  endif()
endif()
file(MAKE_DIRECTORY "${EMOJI_DIR}")

find_program(NPM_EXECUTABLE npm)
if(NOT NPM_EXECUTABLE)
  message(FATAL_ERROR "FetchEmoji: npm not found; install npm (Node.js), which fetches the images as the package ${npm_package}")
endif()
set(work "${EMOJI_DIR}/.fetch-emoji-npm")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")
message(STATUS "FetchEmoji: npm pack ${npm_package}")
execute_process(COMMAND "${NPM_EXECUTABLE}" pack ${npm_package}
                WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err TIMEOUT 1800)
file(GLOB tarball "${work}/emoji-datasource-google-*.tgz")
list(LENGTH tarball tarballs)
if(NOT rc EQUAL 0 OR NOT tarballs EQUAL 1)
  string(STRIP "${err}" err)
  file(REMOVE_RECURSE "${work}")
  message(FATAL_ERROR "FetchEmoji: npm pack ${npm_package} failed (result ${rc}): ${err}\n"
                      "Check the network or npm's registry settings, then run this command again.")
endif()
file(SHA256 "${tarball}" actual)
if(NOT actual STREQUAL "${tgz_sha256}")
  file(REMOVE_RECURSE "${work}")
  message(FATAL_ERROR "FetchEmoji: ${tarball} has SHA-256 ${actual}, expected ${tgz_sha256}; deleted it")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xzf "${tarball}" package/img/google/64 package/LICENSE
                WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
file(GLOB pngs "${work}/package/img/google/64/*.png")
list(LENGTH pngs count)
if(NOT rc EQUAL 0 OR count EQUAL 0)
  file(REMOVE_RECURSE "${work}")
  message(FATAL_ERROR "FetchEmoji: could not extract img/google/64/ from ${tarball} (${rc}): ${err}")
endif()
file(COPY ${pngs} "${work}/package/LICENSE" DESTINATION "${EMOJI_DIR}")
file(REMOVE_RECURSE "${work}")
file(WRITE "${stamp}" "${tgz_sha256}")
message(STATUS "FetchEmoji: ${count} PNGs of ${npm_package} in ${EMOJI_DIR}")

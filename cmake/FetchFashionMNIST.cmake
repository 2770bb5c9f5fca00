# SPDX-License-Identifier: MIT
# Puts the four uncompressed Fashion-MNIST IDX files into FASHION_MNIST_DIR, each verified by its SHA-256:
#   cmake -DFASHION_MNIST_DIR=data/fashion -P cmake/FetchFashionMNIST.cmake
# The files come from Debian's dataset-fashion-mnist package (`apt-get install dataset-fashion-mnist`), which
# installs them gzipped; this script finds them with `dpkg -L` (or in -DFASHION_MNIST_GZ_DIR=<folder>) and unpacks
# them with gzip. Files already there with the right checksum are kept; a file failing its checksum is deleted.
cmake_minimum_required(VERSION 3.16)

if(NOT FASHION_MNIST_DIR)
  message(FATAL_ERROR "FetchFashionMNIST: FASHION_MNIST_DIR is not set; run it as: cmake -DFASHION_MNIST_DIR=<dir> -P cmake/FetchFashionMNIST.cmake")
endif()
get_filename_component(FASHION_MNIST_DIR "${FASHION_MNIST_DIR}" ABSOLUTE)
file(MAKE_DIRECTORY "${FASHION_MNIST_DIR}")

set(fashion_files train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
set(sha_train-images-idx3-ubyte c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888)
set(sha_train-labels-idx1-ubyte bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9)
set(sha_t10k-images-idx3-ubyte 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b)
set(sha_t10k-labels-idx1-ubyte 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34)

# Sets missing_files in the caller to the files that are absent or fail their checksum (the latter are deleted).
function(fashion_check_files)
  set(missing "")
  foreach(f IN LISTS fashion_files)
    set(path "${FASHION_MNIST_DIR}/${f}")
    if(IS_DIRECTORY "${path}")
      message(FATAL_ERROR "FetchFashionMNIST: ${path} is a directory; expected the IDX file ${f}. Remove it and run this again.")
    elseif(EXISTS "${path}")
      file(SHA256 "${path}" actual)
      if(actual STREQUAL "${sha_${f}}")
        continue()
      endif()
      message(STATUS "FetchFashionMNIST: ${f} has SHA-256 ${actual}, expected ${sha_${f}}; deleting it")
      file(REMOVE "${path}")
    endif()
    list(APPEND missing "${f}")
  endforeach()
  set(missing_files "${missing}" PARENT_SCOPE)
endfunction()

fashion_check_files()
if(NOT missing_files)
  message(STATUS "FetchFashionMNIST: all four files are present in ${FASHION_MNIST_DIR} with the right SHA-256; nothing to do")
  return()
endif()

# Where the .gz files are: -DFASHION_MNIST_GZ_DIR, else the folder dpkg lists for the package.
if(NOT FASHION_MNIST_GZ_DIR)
  find_program(DPKG_EXECUTABLE dpkg)
  if(DPKG_EXECUTABLE)
    execute_process(COMMAND "${DPKG_EXECUTABLE}" -L dataset-fashion-mnist OUTPUT_VARIABLE listed RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0)
      string(REGEX MATCH "[^\n]*/train-images-idx3-ubyte\\.gz" gz "${listed}")
      if(gz)
        get_filename_component(FASHION_MNIST_GZ_DIR "${gz}" DIRECTORY)
      endif()
    endif()
  endif()
endif()
if(NOT FASHION_MNIST_GZ_DIR)
  message(FATAL_ERROR "FetchFashionMNIST: Debian's dataset-fashion-mnist package is not installed; install it with "
                      "`sudo apt-get install dataset-fashion-mnist` (or pass -DFASHION_MNIST_GZ_DIR=<folder with the four .gz files>)")
endif()

find_program(GZIP_EXECUTABLE gzip REQUIRED)
foreach(f IN LISTS missing_files)
  set(gz "${FASHION_MNIST_GZ_DIR}/${f}.gz")
  if(NOT EXISTS "${gz}")
    message(FATAL_ERROR "FetchFashionMNIST: ${gz} not found")
  endif()
  execute_process(COMMAND "${GZIP_EXECUTABLE}" -dc "${gz}" OUTPUT_FILE "${FASHION_MNIST_DIR}/${f}.part" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    file(REMOVE "${FASHION_MNIST_DIR}/${f}.part")
    message(FATAL_ERROR "FetchFashionMNIST: gzip -dc ${gz} failed (${rc}): ${err}")
  endif()
  file(RENAME "${FASHION_MNIST_DIR}/${f}.part" "${FASHION_MNIST_DIR}/${f}")
endforeach()

fashion_check_files()
if(missing_files)
  string(REPLACE ";" ", " missing_text "${missing_files}")
  message(FATAL_ERROR "FetchFashionMNIST: wrong SHA-256 after unpacking ${FASHION_MNIST_GZ_DIR}: ${missing_text} (deleted)")
endif()
message(STATUS "FetchFashionMNIST: the four Fashion-MNIST files are in ${FASHION_MNIST_DIR}, SHA-256 verified")

// All differentiable ops.
#pragma once
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/reduction.hpp"
#include "descent/ops/shape.hpp"
#include "descent/ops/conv.hpp"
#include "descent/ops/normalization.hpp"
#include "descent/ops/pooling.hpp"

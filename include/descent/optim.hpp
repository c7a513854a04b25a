// Optimizers, LR schedulers and gradient clipping.
#pragma once
#include "descent/optim/adadelta.hpp"
#include "descent/optim/adagrad.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/adamax.hpp"
#include "descent/optim/adamw.hpp"
#include "descent/optim/clip_grad.hpp"
#include "descent/optim/lr_scheduler.hpp"
#include "descent/optim/nadam.hpp"
#include "descent/optim/optimizer.hpp"
#include "descent/optim/radam.hpp"
#include "descent/optim/rmsprop.hpp"
#include "descent/optim/sgd.hpp"

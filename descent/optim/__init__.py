"""Optimizers, learning-rate schedules and gradient clipping, as `torch.optim`.

    optimizer = descent.optim.AdamW(model.parameters(), lr=3e-4)
    scheduler = descent.optim.lr_scheduler.CosineWarmup(optimizer, warmup_steps=100, total_steps=10_000)
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        descent.optim.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
"""
from descent.optim import lr_scheduler
from descent.optim.adagrad import Adagrad
from descent.optim.adam import Adam, AdamW, RAdam
from descent.optim.clip import clip_grad_norm_, clip_grad_value_
from descent.optim.lr_scheduler import (CosineAnnealingLR, CosineWarmup, ExponentialLR, LambdaLR, LinearLR,
                                        LRScheduler, MultiStepLR, OneCycleLR, ReduceLROnPlateau, StepLR)
from descent.optim.optimizer import Optimizer
from descent.optim.rmsprop import RMSprop
from descent.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RAdam", "RMSprop", "Adagrad",
           "clip_grad_norm_", "clip_grad_value_", "lr_scheduler",
           "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "CosineWarmup", "LinearLR", "OneCycleLR", "ReduceLROnPlateau"]

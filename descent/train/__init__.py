"""Training: the fit loop, its callbacks and metrics, and checkpoints that resume exactly.

    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3),
                      callbacks=[EarlyStopping("val_loss", patience=3),
                                 ModelCheckpoint("run/best.safetensors", save_best_only=True)])
    history = trainer.fit(train_loader, val_loader, epochs=10)
    print(trainer.evaluate(test_loader)["accuracy"])
"""
from descent.train.callbacks import Callback, EarlyStopping, LearningRateSchedule, ModelCheckpoint
from descent.train.metrics import (MetricTracker, accuracy, confusion_matrix, per_class_accuracy,
                                   top_k_accuracy)
from descent.train.trainer import NonFiniteLossError, Trainer, predict

__all__ = ["Trainer", "predict", "NonFiniteLossError",
           "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateSchedule",
           "MetricTracker", "accuracy", "top_k_accuracy", "confusion_matrix", "per_class_accuracy"]

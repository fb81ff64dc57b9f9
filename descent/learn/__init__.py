"""Classic estimators with the scikit-learn API (fit / predict / transform / score).

Each follows scikit-learn's contract (see `descent.learn.base`), so it works inside
scikit-learn's Pipeline, GridSearchCV and cross_val_score, and descent's own
`model_selection` works with scikit-learn's estimators.
"""
from descent.learn.base import NotFittedError
from descent.learn.boosting import AdaBoostClassifier, GradientBoostingClassifier, GradientBoostingRegressor
from descent.learn.cluster import DBSCAN, AgglomerativeClustering
from descent.learn.decomposition import PCA, KernelPCA, TruncatedSVD
from descent.learn.discriminant_analysis import LinearDiscriminantAnalysis
from descent.learn.forest import IsolationForest, RandomForestClassifier, RandomForestRegressor
from descent.learn.kmeans import KMeans, MiniBatchKMeans
from descent.learn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from descent.learn.logistic import LogisticRegression
from descent.learn.manifold import TSNE
from descent.learn.mixture import GaussianMixture
from descent.learn.model_selection import (GridSearchCV, KFold, StratifiedKFold, cross_val_score,
                                           train_test_split)
from descent.learn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from descent.learn.neighbors import KDTree, KNeighborsClassifier, KNeighborsRegressor
from descent.learn.neural_network import Autoencoder, MLPClassifier, MLPRegressor
from descent.learn.preprocessing import (LabelEncoder, MinMaxScaler, OneHotEncoder, PolynomialFeatures,
                                         RobustScaler, SimpleImputer, StandardScaler)
from descent.learn.sgd import LinearSVC, Perceptron, SGDClassifier, SGDRegressor
from descent.learn.svm import SVC
from descent.learn.tree import DecisionTreeClassifier, DecisionTreeRegressor

